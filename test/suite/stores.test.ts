/**
 * Shared token stores: sealing, keys, write-through, misses and outages, through a plain in-memory
 * raw store (the adapters for KV, Cache API and Deno KV are tested in their runtimes).
 */
import assert from "node:assert/strict";
import {
  cacheApiStore,
  createClient,
  customStore,
  denoKvStore,
  memoryStore,
  type RapidataEvent,
  type TokenStore,
  workersKvStore,
} from "../../mod.ts";
import type { StoreContext } from "../../src/stores/seal.ts";
import type { CachedToken } from "../../src/token/cache.ts";
import { standInClient, stats } from "../support/control.ts";
import { describe, it } from "../support/harness.ts";

/** A raw store that remembers what it was given. */
function recordingStore() {
  const values = new Map<string, { value: string; ttl: number }>();
  const raw: TokenStore = {
    get: (key) => Promise.resolve(values.get(key)?.value),
    set: (key, value, ttl) => Promise.resolve(void values.set(key, { value, ttl })),
  };
  return { raw, values };
}

const context = (secret: string, overrides: Partial<StoreContext> = {}): StoreContext => ({
  tokenEndpoint: "https://auth.rapidata.ai/connect/token",
  authUrl: "https://auth.rapidata.ai",
  clientId: "client-1",
  clientSecret: secret,
  scope: "openid email api",
  freshUntil: (token) => token.expiresAt - 60_000,
  ...overrides,
});
const noEvents = () => {};

/**
 * A stored token as an isolate gets it: the same token, its expiry moved earlier by at most half the
 * 60-second renewal margin (renewal jitter).
 */
function assertHandedOut(got: CachedToken | undefined, token: CachedToken): void {
  assert.ok(got, "a hit");
  assert.deepEqual([got.token, got.issuedAt, got.stored], [token.token, token.issuedAt, true]);
  assert.ok(got.expiresAt <= token.expiresAt && got.expiresAt >= token.expiresAt - 30_000, `${got.expiresAt}`);
}
const issued = () => ({
  token: "header.payload.signature-xyz",
  issuedAt: Date.now(),
  expiresAt: Date.now() + 3_600_000,
});

describe("shared token stores", () => {
  it("seal what they store, under a hashed key, and read it back", async () => {
    const token = issued();
    const { raw, values } = recordingStore();
    const store = customStore(raw).bind(context("secret-1"), Date.now, noEvents);
    await store.save(token);
    assert.equal(values.size, 1);
    const [key, { value, ttl }] = [...values][0]!;
    for (const clear of ["client-1", "secret-1", token.token, "openid"]) {
      assert.ok(!key.includes(clear) && !value.includes(clear), `${clear} in clear`);
    }
    assert.ok(ttl >= 3538 && ttl <= 3540, `ttl ends at expiry minus leeway: ${ttl}`);
    assert.match(value, /^rf1\./);
    assertHandedOut(await store.load(), token);
  });

  it("treat a tampered entry, another secret, another binding or an old format as a miss", async () => {
    const token = issued();
    const { raw, values } = recordingStore();
    await customStore(raw).bind(context("secret-1"), Date.now, noEvents).save(token);
    const [key, { value }] = [...values][0]!;
    assert.equal(await customStore(raw).bind(context("secret-2"), Date.now, noEvents).load(), undefined);
    const tampered = value.slice(0, -4) + (value.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (const bad of [tampered, "v0.abc.def", "rf1..", "not a sealed value", ""]) {
      values.set(key, { value: bad, ttl: 60 });
      assert.equal(await customStore(raw).bind(context("secret-1"), Date.now, noEvents).load(), undefined, bad);
    }
    // The same value under the key of another scope does not unseal either (the key is bound in).
    values.set(key, { value, ttl: 60 });
    const otherScope = context("secret-1", { scope: "openid" });
    const otherStore = customStore(recordingStore().raw);
    assert.equal(await otherStore.bind(otherScope, Date.now, noEvents).load(), undefined);
  });

  it("spread renewals: expiries are jittered, and the token being renewed is a miss", async () => {
    const token = issued();
    const { raw } = recordingStore();
    const store = customStore(raw).bind(context("secret-1"), Date.now, noEvents);
    await store.save(token);
    const expiries = new Set<number>();
    for (let i = 0; i < 20; i++) expiries.add((await store.load())!.expiresAt);
    assert.ok(expiries.size > 1, "isolates do not all renew at the same moment");
    assert.equal(await store.load(undefined, token), undefined, "renewing that very token needs a new one");
    assert.equal((await store.load(undefined, { ...token, token: "an older token" }))?.token, token.token);
  });

  it("hand out only fresh tokens", async () => {
    const token = issued();
    const { raw } = recordingStore();
    let now = Date.now();
    const store = customStore(raw).bind(context("secret-1"), () => now, noEvents);
    await store.save(token);
    now = token.expiresAt - 60_000; // its renewal time
    assert.equal(await store.load(), undefined);
  });

  it("write a fetched token through, and a client reads a stored token instead of fetching", async () => {
    const { raw, values } = recordingStore();
    const { rapidata, creds } = await standInClient({ store: customStore(raw) });
    const fetched = await rapidata.accessToken();
    assert.equal(values.size, 1);
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
    // What another isolate would see: the bound store hands out that token.
    const bound = customStore(raw).bind(
      context(creds.clientSecret, {
        tokenEndpoint: rapidata.tokenEndpoint,
        authUrl: rapidata.tokenEndpoint.replace("/connect/token", ""),
        clientId: creds.clientId,
        freshUntil: (t) => t.expiresAt - 60_000,
      }),
      Date.now,
      noEvents,
    );
    assert.equal((await bound.load())?.token, fetched);
  });

  it("a failing or hanging store never fails a call; it is reported", async () => {
    const events: RapidataEvent[] = [];
    const broken = customStore({
      get: () => Promise.reject(new Error("store down")),
      set: () => Promise.reject(new Error("store down")),
    });
    const { rapidata } = await standInClient({ store: broken, onEvent: (e) => events.push(e) });
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.deepEqual(events.filter((e) => e.type === "store"), [
      { type: "store", operation: "get", timeout: false },
      { type: "store", operation: "set", timeout: false },
    ]);
  });

  it("memoryStore keeps sealed tokens for other clients of this isolate", async () => {
    const token = issued();
    const store = memoryStore();
    await store.bind(context("secret-1"), Date.now, noEvents).save(token);
    assertHandedOut(await store.bind(context("secret-1"), Date.now, noEvents).load(), token);
    assert.equal(await memoryStore().bind(context("secret-1"), Date.now, noEvents).load(), undefined);
  });

  it("reject what is not a store with a TypeError", () => {
    assert.throws(() => customStore({} as never), { name: "TypeError", message: /get\(key\) and set/ });
    assert.throws(() => workersKvStore({} as never), { name: "TypeError", message: /KV namespace/ });
    assert.throws(() => denoKvStore(undefined as never), { name: "TypeError", message: /Deno\.Kv/ });
    assert.throws(() => cacheApiStore({} as never), TypeError);
    assert.throws(() => createClient({ clientId: "a", clientSecret: "b", store: {} as never }), {
      name: "TypeError",
      message: /"store" must come from a store adapter/,
    });
  });
});
