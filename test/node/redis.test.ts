/**
 * redisStore against a real redis-server, through node-redis and ioredis: tokens shared sealed (nothing
 * of the token, client id or secret in clear), TTL in milliseconds, a revoked token deleted for everyone,
 * a Redis that is down never failing a call.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Socket } from "node:net";
import process from "node:process";
import { Redis } from "ioredis";
import { createClient as createNodeRedis } from "redis";
import { Redis as UpstashRedis } from "@upstash/redis";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createClient, type RapidataEvent, type RedisLike, redisStore } from "../../mod.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { TokenCache } from "../../src/token/cache.ts";
import { clientCredentialsSource } from "../../src/token/client_credentials.ts";
import { resolveOptions } from "../../src/options.ts";
import { serve, type Served } from "../support/node_server.ts";
import { type RedisServer, startRedis } from "../support/redis_server.ts";
import { upstashRest } from "../support/upstash_rest.ts";

let server: RedisServer;
let served: Served;
const standIn = createStandIn();
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedis();
  served = await serve(standIn.fetch);
});

afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await served?.close();
  await server?.stop();
});

const clients: [string, () => Promise<RedisLike & { keys?: unknown }>][] = [
  ["node-redis", async () => {
    const client = createNodeRedis({ url: server.url });
    await client.connect();
    closers.push(() => client.quit());
    return client as unknown as RedisLike;
  }],
  ["@upstash/redis (REST, in front of the same Redis)", async () => {
    const rest = await serve(upstashRest(inspector(), "upstash-token"));
    closers.push(() => rest.close());
    return new UpstashRedis({ url: rest.url, token: "upstash-token", enableTelemetry: false }) as unknown as RedisLike;
  }],
  ["ioredis", () => {
    const client = new Redis(server.port, "127.0.0.1", { lazyConnect: false, maxRetriesPerRequest: 1 });
    closers.push(() => client.quit());
    return Promise.resolve(client as unknown as RedisLike);
  }],
];

/** A raw ioredis connection for looking at what is in Redis. */
function inspector(): Redis {
  const raw = new Redis(server.port, "127.0.0.1");
  closers.push(() => raw.quit());
  return raw;
}

/** A client-credentials source on its own cache: another process's view of the same Redis. */
function otherProcess(store: ReturnType<typeof redisStore>, creds: { clientId: string; clientSecret: string }) {
  const resolved = resolveOptions({ ...creds, apiUrl: served.url, authUrl: served.url, store });
  return clientCredentialsSource(
    { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl },
    new TokenCache(),
  );
}

for (const [name, connect] of clients) {
  describe(`redisStore with ${name}`, () => {
    it("shares one token, sealed, with a TTL in milliseconds; nothing in clear in Redis", async () => {
      const store = redisStore(await connect());
      const creds = standIn.addClient();
      const rapidata = createClient({ ...creds, apiUrl: served.url, authUrl: served.url, store });
      const token = await rapidata.accessToken();
      assert.equal(await otherProcess(store, creds).token(), token); // from Redis, no token request
      assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
      const raw = inspector();
      const keys = (await raw.keys("*")).filter((key) => !key.endsWith(".lease")); // a lease holds only "1"
      assert.ok(keys.length >= 1);
      for (const key of keys) {
        const value = (await raw.get(key)) ?? "";
        for (const secret of [token, creds.clientId, creds.clientSecret]) {
          assert.ok(!key.includes(secret) && !value.includes(secret), `${key} holds something in clear`);
        }
        assert.match(value, /^rf1\./);
        const pttl = await raw.pttl(key);
        assert.ok(pttl > 1_000 && pttl <= 3_600_000, `PTTL ${pttl}`);
      }
    });

    it("a revoked token is gone for the whole fleet", async () => {
      const store = redisStore(await connect());
      const creds = standIn.addClient();
      const rapidata = createClient({ ...creds, apiUrl: served.url, authUrl: served.url, store });
      const revoked = await rapidata.accessToken();
      standIn.revokeTokens(creds.clientId);
      assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1); // 401, deleted, renewed, replayed
      const fresh = await otherProcess(store, creds).token();
      assert.notEqual(fresh, revoked);
      assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
    });
  });
}

/** Runs the fleet fixture as a separate Node process; resolves with what it printed. */
function processOf(args: string[], startAt: number): Promise<string> {
  const script = new URL("./fixtures/redis_process.ts", import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", script, ...args], {
      env: { ...process.env, START_AT: String(startAt) },
    }, (error, stdout, stderr) => error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim()));
  });
}

describe("redisStore: a fleet of separate processes", () => {
  for (const kind of ["node-redis", "ioredis"]) {
    it(`10 processes (${kind}) starting cold at the same moment: one token request, one token`, async () => {
      const creds = standIn.addClient();
      const startAt = Date.now() + 4_000; // after every process has loaded
      const tokens = await Promise.all(
        Array.from(
          { length: 10 },
          () => processOf([String(server.port), served.url, creds.clientId, creds.clientSecret, kind], startAt),
        ),
      );
      assert.equal(new Set(tokens).size, 1, "one token for the fleet");
      assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
    }, 60_000);
  }
});

describe("redisStore when Redis is down", () => {
  it("never fails or hangs a call: the store is skipped (store events)", async () => {
    const client = new Redis(1, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    client.on("error", () => {}); // connection refused, reported through our store events instead
    closers.push(() => Promise.resolve(client.disconnect()));
    const events: RapidataEvent[] = [];
    const creds = standIn.addClient();
    const rapidata = createClient({
      ...creds,
      apiUrl: served.url,
      authUrl: served.url,
      store: redisStore(client as unknown as RedisLike),
      onEvent: (event) => events.push(event),
    });
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.ok(events.some((event) => event.type === "store"), JSON.stringify(events));
  });
});

describe("redisStore when Redis hangs", () => {
  it(
    "a Redis that accepts connections and never answers neither fails nor hangs a call (2 s store bound)",
    async () => {
      const sockets: Socket[] = [];
      const silent = createServer((socket) => void sockets.push(socket)); // reads, never writes
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      closers.push(() => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(resolve))));
      const client = new Redis((silent.address() as { port: number }).port, "127.0.0.1", { maxRetriesPerRequest: 1 });
      client.on("error", () => {});
      closers.push(() => Promise.resolve(client.disconnect()));
      const events: RapidataEvent[] = [];
      const creds = standIn.addClient();
      const rapidata = createClient({
        ...creds,
        apiUrl: served.url,
        authUrl: served.url,
        store: redisStore(client as unknown as RedisLike),
        onEvent: (event) => events.push(event),
      });
      assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
      assert.ok(events.some((event) => event.type === "store" && event.timeout), JSON.stringify(events));
    },
    30_000,
  );
});

describe("redisStore: recognising clients", () => {
  it("refuses what is not a Redis client, with a TypeError", () => {
    assert.throws(
      () => redisStore({} as never),
      /redisStore: expected a node-redis, ioredis or @upstash\/redis client/,
    );
  });
});
