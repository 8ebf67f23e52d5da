/**
 * Store adapters inside workerd with real bindings: Workers KV (a Miniflare KV namespace) and the
 * Cache API (caches.default and a named cache).
 */
import assert from "node:assert/strict";
import { env } from "cloudflare:test";
import { cacheApiStore, type CacheLike, type KVNamespaceLike, workersKvStore } from "../../mod.ts";
import type { RapidataTokenStore, StoreContext } from "../../src/stores/seal.ts";
import { standInClient, stats } from "../support/control.ts";
import { describe, it } from "../support/harness.ts";

const TOKENS = (env as unknown as {
  TOKENS: KVNamespaceLike & { list(): Promise<{ keys: { name: string; expiration?: number }[] }> };
})
  .TOKENS;

/** What another isolate would read from `store` for these credentials. */
function otherIsolate(store: RapidataTokenStore, tokenEndpoint: string, clientId: string, clientSecret: string) {
  const context: StoreContext = {
    tokenEndpoint,
    authUrl: tokenEndpoint.replace("/connect/token", ""),
    clientId,
    clientSecret,
    scope: "openid email api",
    freshUntil: (token) => token.expiresAt - 60_000,
  };
  return store.bind(context, Date.now, () => {});
}

describe("workersKvStore (workerd, real KV)", () => {
  it("writes a fetched token through, sealed, with KV's 60-second minimum TTL respected", async () => {
    const { rapidata, creds } = await standInClient({ store: workersKvStore(TOKENS) }, { tokenLifetime: 30 });
    const token = await rapidata.accessToken();
    const { keys } = await TOKENS.list();
    const entry = keys.find((key) => key.name.startsWith("rapidata-fetch:") && !key.name.includes(creds.clientId));
    assert.ok(entry, "a hashed key");
    const expiresIn = entry.expiration! - Date.now() / 1000;
    assert.ok(expiresIn > 50 && expiresIn <= 61, `KV expiration in ${expiresIn} s (a 15 s TTL raised to 60)`);
    const value = await TOKENS.get(entry.name);
    assert.ok(value?.startsWith("rf1.") && !value.includes(token) && !value.includes(creds.clientSecret));
  });

  it("hands the token to another isolate; a tampered entry is a miss", async () => {
    const store = workersKvStore(TOKENS);
    const { rapidata, creds } = await standInClient({ store });
    const token = await rapidata.accessToken();
    const other = otherIsolate(store, rapidata.tokenEndpoint, creds.clientId, creds.clientSecret);
    assert.equal((await other.load())?.token, token);
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
    const { keys } = await TOKENS.list();
    for (const { name } of keys) {
      const value = await TOKENS.get(name);
      await TOKENS.put(name, `${value!.slice(0, -3)}xyz`);
    }
    assert.equal(await other.load(), undefined);
  });

  it("a KV outage never fails a call", async () => {
    const broken: KVNamespaceLike = {
      get: () => Promise.reject(new Error("KV down")),
      put: () => Promise.reject(new Error("KV down")),
      delete: () => Promise.reject(new Error("KV down")),
    };
    const { rapidata } = await standInClient({ store: workersKvStore(broken) });
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
  });
});

describe("cacheApiStore (workerd, Cache API)", () => {
  for (
    const [name, cache] of [["caches.default", () => undefined], [
      "a named cache",
      () => caches.open("tokens"),
    ]] as const
  ) {
    it(`writes through and reads back with ${name}`, async () => {
      const chosen = (await cache()) as CacheLike | undefined;
      const store = cacheApiStore(chosen);
      const { rapidata, creds } = await standInClient({ store });
      const token = await rapidata.accessToken();
      const other = otherIsolate(store, rapidata.tokenEndpoint, creds.clientId, creds.clientSecret);
      assert.equal((await other.load())?.token, token);
      assert.equal((await stats(creds.clientId)).tokenRequests, 1);
    });
  }
});
