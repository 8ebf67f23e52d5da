/**
 * The token pipeline under faults: revocation through every layer, background renewal with outage grace,
 * stall takeover with slow stores, deadlines and signals bounding token retries, id_tokens ignored, and
 * the broker running the client's own token source.
 */
import assert from "node:assert/strict";
import { createClient, customStore, memoryStore, RapidataTokenBroker, type TokenStore } from "../../mod.ts";
import type { RapidataEvent } from "../../src/events.ts";
import type { StoreContext } from "../../src/stores/seal.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { eventually, fakeClock, revoke, standInClient, stats } from "../support/control.ts";
import { describe, it, standInUrl } from "../support/harness.ts";

/** A raw store that remembers values and counts deletes; `withDelete: false` has no delete. */
function rawStore(withDelete = true, setDelay = 0) {
  const values = new Map<string, string>();
  let deletes = 0;
  const raw: TokenStore = {
    get: (key) => Promise.resolve(values.get(key)),
    set: async (key, value) => {
      if (setDelay) await new Promise((resolve) => setTimeout(resolve, setDelay));
      values.set(key, value);
    },
    ...(withDelete && { delete: (key: string) => Promise.resolve(void (deletes++, values.delete(key))) }),
  };
  return { raw, values, deletes: () => deletes };
}

/** What another isolate would read from a store for the stand-in client `clientId`. */
function otherIsolate(store: ReturnType<typeof customStore>, clientId: string, clientSecret: string) {
  const context: StoreContext = {
    tokenEndpoint: `${standInUrl}/connect/token`,
    authUrl: standInUrl,
    clientId,
    clientSecret,
    scope: "openid email api",
    freshUntil: (token) => token.expiresAt - 60_000,
  };
  return store.bind(context, Date.now, () => {});
}

describe("revocation reaches every layer", () => {
  it("a store read that fails while a token is rejected still removes it (delete and tombstone)", async () => {
    for (const withDelete of [true, false]) {
      const { raw, values, deletes } = rawStore(withDelete);
      let failReads = false;
      const get = raw.get;
      raw.get = (key) => failReads ? Promise.reject(new Error("store down for reads")) : get(key);
      const store = customStore(raw);
      const { rapidata, creds } = await standInClient({ store });
      const revoked = await rapidata.accessToken();
      await revoke(creds.clientId);
      failReads = true;
      assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1); // 401, then the replay
      failReads = false;
      if (withDelete) assert.ok(deletes() >= 1, "deleted without a read");
      // Another isolate never gets the revoked token from the store.
      const other = await otherIsolate(store, creds.clientId, creds.clientSecret).load();
      assert.notEqual(other?.token, revoked, `store holds ${values.size} value(s)`);
    }
  });

  it("the caller's signal ends the wait for a store that is slow to forget a rejected token", async () => {
    const { raw } = rawStore(true);
    let deleting = false;
    let deleted = false;
    raw.delete = () => {
      deleting = true;
      return new Promise((resolve) => setTimeout(() => resolve(void (deleted = true)), 1_500));
    };
    const { rapidata, creds } = await standInClient({ store: customStore(raw) });
    await rapidata.accessToken();
    await revoke(creds.clientId);
    const controller = new AbortController();
    const call = rapidata.get("/orders", { signal: controller.signal }).catch((error: Error) => error);
    await eventually(() => deleting, "the store delete started");
    controller.abort();
    assert.equal(((await call) as Error).name, "AbortError");
    assert.equal(deleted, false); // the call did not wait for the store
    await eventually(() => deleted, "the delete finished on its own");
  });

  for (const withDelete of [true, false]) {
    it(`a rejected token leaves memory and the store (${withDelete ? "delete" : "tombstone"})`, async () => {
      const { raw, values, deletes } = rawStore(withDelete);
      const store = customStore(raw);
      const { rapidata, creds } = await standInClient({ store });
      const revoked = await rapidata.accessToken();
      const other = otherIsolate(store, creds.clientId, creds.clientSecret);
      assert.equal((await other.load())?.token, revoked);
      await revoke(creds.clientId);
      assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1); // 401, then the replay
      const fresh = await rapidata.accessToken();
      assert.notEqual(fresh, revoked);
      assert.equal(withDelete ? deletes() : 0, withDelete ? 1 : 0);
      // The fleet sees the new token, never the revoked one.
      assert.equal((await other.load())?.token, fresh);
      assert.equal(values.size, 1);
      const seen = await stats(creds.clientId);
      assert.deepEqual([seen.tokenRequests, seen.apiCalls], [2, 2]);
    });
  }

  it("a store that hands the rejected token back is not believed", async () => {
    // A store whose delete does nothing (eventual consistency): it keeps answering with the old value.
    const values = new Map<string, string>();
    const stale = customStore({
      get: (key) => Promise.resolve(values.get(key)),
      set: (key, value) => Promise.resolve(void (values.has(key) || values.set(key, value))), // first write sticks
      delete: () => Promise.resolve(),
    });
    const { rapidata, creds } = await standInClient({ store: stale });
    const revoked = await rapidata.accessToken();
    await revoke(creds.clientId);
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.notEqual(await rapidata.accessToken(), revoked);
    const seen = await stats(creds.clientId);
    assert.deepEqual([seen.tokenRequests, seen.apiCalls], [2, 2]);
  });

  it("memoryStore: another client of the isolate on the same store gets the new token", async () => {
    const store = memoryStore();
    const { rapidata, creds } = await standInClient({ store });
    const revoked = await rapidata.accessToken();
    await revoke(creds.clientId);
    assert.equal((await rapidata.fetch("/orders")).status, 200);
    const other = otherIsolate(store, creds.clientId, creds.clientSecret);
    assert.notEqual((await other.load())?.token, revoked);
  });

  it("three calls after a revocation: one 401 and one replay, then the new token", async () => {
    const { rapidata, creds } = await standInClient();
    await rapidata.accessToken();
    await revoke(creds.clientId);
    for (let i = 0; i < 3; i++) assert.equal((await rapidata.fetch("/orders")).status, 200);
    const seen = await stats(creds.clientId);
    assert.deepEqual([seen.tokenRequests, seen.apiCalls], [2, 4]);
  });
});

describe("background renewal and grace", () => {
  it("an identity-server outage during renewal: one token request and one grace event for 30 calls", async () => {
    const clock = fakeClock();
    const standIn = createStandIn({ now: clock.now });
    const creds = standIn.addClient({ tokenLifetime: 3600 });
    const events: RapidataEvent[] = [];
    const rapidata = createClient({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      fetch: standIn.fetch,
      now: clock.now,
      onEvent: (event) => events.push(event),
    });
    const first = await rapidata.accessToken();
    standIn.injectFaults(creds.clientId, { token: [{ status: 503, times: Infinity }] });
    clock.advance(3550);
    const background: Promise<unknown>[] = [];
    const waitUntil = (promise: Promise<unknown>) => void background.push(promise);
    for (let i = 0; i < 30; i++) {
      assert.equal((await rapidata.fetch("/orders", { waitUntil })).status, 200);
      await Promise.all(background);
    }
    assert.equal(await rapidata.accessToken(), first);
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2); // the first token, one renewal attempt
    assert.deepEqual(events.filter((e) => e.type === "grace").map((e) => e.type), ["grace"]);
  });

  it("a renewal in the window is one request for many concurrent callers, none of them waiting", async () => {
    const clock = fakeClock();
    const standIn = createStandIn({ now: clock.now });
    const creds = standIn.addClient({ tokenLifetime: 3600 });
    const rapidata = createClient({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      fetch: standIn.fetch,
      now: clock.now,
    });
    const first = await rapidata.accessToken();
    clock.advance(3550);
    const release = standIn.holdTokens(creds.clientId); // the renewal hangs until released
    const tokens = await Promise.all(Array.from({ length: 200 }, () => rapidata.accessToken()));
    assert.ok(tokens.every((token) => token === first));
    await eventually(() => standIn.stats(creds.clientId).tokenRequests === 2, "the one renewal request");
    release();
    await eventually(async () => (await rapidata.accessToken()) !== first, "the renewed token");
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
  });
});

describe("no stall starvation", () => {
  it("5 cold callers, store writes taking 1.5 s, timeout 1000: one token request, nobody waits for the write but its owner", async () => {
    const { raw, values } = rawStore(true, 1_500);
    const { rapidata, creds } = await standInClient({ store: customStore(raw), timeout: 1_000 });
    const sawWrite: boolean[] = [];
    const calls = Array.from(
      { length: 5 },
      () => rapidata.accessToken().then((token) => (sawWrite.push(values.size > 0), token)),
    );
    const tokens = await Promise.all(calls);
    assert.equal(new Set(tokens).size, 1);
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
    // Four had the token before the write ended; only the fetch's owner saw it through.
    assert.deepEqual(sawWrite, [false, false, false, false, true]);
  });

  it("100 cold callers on a held token endpoint: one token request per stall bound at most", async () => {
    const standIn = createStandIn();
    const creds = standIn.addClient();
    const rapidata = createClient({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      fetch: standIn.fetch,
      timeout: 300,
    });
    const release = standIn.holdTokens(creds.clientId);
    const calls = Array.from({ length: 100 }, () => rapidata.accessToken().catch((error: Error) => error));
    await eventually(() => standIn.stats(creds.clientId).tokenRequests >= 1, "the first request");
    release();
    const results = await Promise.all(calls);
    assert.ok(
      results.every((result) => typeof result === "string"),
      String(results.find((r) => typeof r !== "string")),
    );
    assert.ok(standIn.stats(creds.clientId).tokenRequests <= 2, `${standIn.stats(creds.clientId).tokenRequests}`);
  });
});

describe("deadline and signal bound token retries", () => {
  it("deadline: a 503 with Retry-After 3 is not waited for past the deadline", async () => {
    const standIn = createStandIn();
    const creds = standIn.addClient();
    standIn.injectFaults(creds.clientId, {
      token: [{ status: 503, headers: { "retry-after": "3" }, times: Infinity }],
    });
    const delays: number[] = [];
    const rapidata = createClient({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      fetch: standIn.fetch,
      sleep: (ms) => (delays.push(ms), Promise.resolve()),
    });
    const error = await rapidata.get("/orders", { deadline: Date.now() + 500 }).catch((e: unknown) => e);
    assert.equal((error as { code?: string }).code, "ERR_TOKEN_REJECTED");
    assert.equal((error as { status?: number }).status, 503);
    assert.deepEqual(delays, []);
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
    const viaFetch = await rapidata.fetch("/orders", { deadline: Date.now() + 500 }).catch((e: unknown) => e);
    assert.equal((viaFetch as { code?: string }).code, "ERR_TOKEN_REJECTED");
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
  });

  it("signal: aborting during a token backoff ends the call, and the abandoned request with it", async () => {
    const standIn = createStandIn();
    const creds = standIn.addClient();
    standIn.injectFaults(creds.clientId, { token: [{ status: 503, headers: { "retry-after": "30" } }] });
    const rapidata = createClient({ clientId: creds.clientId, clientSecret: creds.clientSecret, fetch: standIn.fetch });
    const controller = new AbortController();
    const call = rapidata.get("/orders", { signal: controller.signal }).catch((e: Error) => e);
    await eventually(() => standIn.stats(creds.clientId).tokenRequests === 1, "the first attempt");
    controller.abort();
    assert.equal(((await call) as Error).name, "AbortError");
    // The token request (sleeping out its 30 s Retry-After) was cancelled with its last caller: the next
    // call starts afresh at once instead of joining a wait nobody asked for.
    assert.equal(typeof await rapidata.accessToken(), "string");
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
  });
});

describe("id_token", () => {
  it("is ignored for client credentials, whatever its issuer", async () => {
    let requests = 0;
    const rapidata = createClient({
      clientId: "id",
      clientSecret: "secret",
      fetch: () => {
        requests++;
        return Promise.resolve(Response.json({
          access_token: "opaque-token-1",
          token_type: "Bearer",
          expires_in: 60,
          id_token: "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2Vsc2V3aGVyZS5leGFtcGxlIn0.",
        }));
      },
    });
    assert.equal(await rapidata.accessToken(), "opaque-token-1");
    assert.equal(requests, 1);
  });

  it("is ignored whatever its shape (not a string, not a JWT)", async () => {
    for (const [n, id_token] of [[1, 42], [2, "not.a.jwt"], [3, { iss: "x" }], [4, null]] as const) {
      const rapidata = createClient({
        clientId: "id",
        clientSecret: `secret-${n}`,
        fetch: () => Promise.resolve(Response.json({ access_token: `opaque-${n}`, token_type: "Bearer", id_token })),
      });
      assert.equal(await rapidata.accessToken(), `opaque-${n}`);
    }
  });
});

describe("RapidataTokenBroker runs the client's token source", () => {
  const ask = (broker: RapidataTokenBroker, body: Record<string, unknown>) =>
    broker.fetch(new Request("https://broker.invalid/token", { method: "POST", body: JSON.stringify(body) }));

  it("hands out a token, renews instead of handing back a rejected one, and retries as the client says", async () => {
    const creds = await (await fetch(`${standInUrl}/__stand-in/clients`, { method: "POST", body: "{}" })).json() as {
      clientId: string;
      clientSecret: string;
    };
    const broker = new RapidataTokenBroker();
    const body = {
      authUrl: standInUrl,
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      scope: "openid email api",
    };
    const first = await (await ask(broker, body)).json() as { token: string; expiresAt: number };
    assert.equal(typeof first.token, "string");
    assert.equal(((await (await ask(broker, body)).json()) as { token: string }).token, first.token);
    const renewed = await (await ask(broker, { ...body, rejected: first.token })).json() as { token: string };
    assert.notEqual(renewed.token, first.token);
    assert.equal(((await (await ask(broker, body)).json()) as { token: string }).token, renewed.token);
    assert.equal((await stats(creds.clientId)).tokenRequests, 2);
    assert.equal((await ask(broker, { ...body, authUrl: "http://example.com" })).status, 400); // validated as the client does
  });
});
