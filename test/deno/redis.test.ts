/**
 * `deno test -A --unstable-kv test/deno/`: redisStore on Deno with node-redis and ioredis against a real
 * redis-server (started on a free loopback port): a token shared through Redis, and a revoked one gone.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient as createNodeRedis } from "redis";
import { createClient, type RedisLike, redisStore } from "../../mod.ts";
import { resolveOptions } from "../../src/options.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { TokenCache } from "../../src/token/cache.ts";
import { clientCredentialsSource } from "../../src/token/client_credentials.ts";
import { startRedis } from "../support/redis_server.ts";

for (const kind of ["node-redis", "ioredis"] as const) {
  Deno.test({
    name: `redisStore on Deno (${kind}): one token shared through Redis; a revoked one is gone for everyone`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const server = await startRedis();
      const redis = kind === "ioredis"
        ? new Redis(server.port, "127.0.0.1")
        : await createNodeRedis({ url: server.url }).connect();
      try {
        const standIn = createStandIn();
        const creds = standIn.addClient();
        const store = redisStore(redis as unknown as RedisLike);
        const rapidata = createClient({ ...creds, fetch: standIn.fetch, store });
        const token = await rapidata.accessToken();
        const resolved = resolveOptions({ ...creds, fetch: standIn.fetch, store });
        const other = clientCredentialsSource(
          { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl },
          new TokenCache(),
        );
        assert.equal(await other.token(), token); // another process's view: from Redis
        standIn.revokeTokens(creds.clientId);
        assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
        const fresh = clientCredentialsSource(
          { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl },
          new TokenCache(),
        );
        assert.notEqual(await fresh.token(), token);
        assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
      } finally {
        await redis.quit();
        await server.stop();
      }
    },
  });
}
