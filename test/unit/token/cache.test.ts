/** Unit tests of the token cache object (src/token/cache.ts), through its own methods. */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { type CacheSettings, type Fetcher, TokenCache } from "../../../src/token/cache.ts";

const settings = (now = Date.now): CacheSettings => ({ leeway: 60, stallAfter: 1_100, now, emit: () => {} });
const issue = (token: string, lifetimeMs: number): Fetcher => () =>
  Promise.resolve({ token: { token, issuedAt: Date.now(), expiresAt: Date.now() + lifetimeMs } });

describe("TokenCache", () => {
  it("forgets entries whose token expired once new entries are made: memory stays bounded under churn", async () => {
    const cache = new TokenCache();
    for (let i = 0; i < 1_000; i++) await cache.token(`tenant-${i}`, settings(), issue(`t-${i}`, 50));
    assert.equal(cache.size, 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // tokens expired, and the sweep's second has passed
    for (let i = 1_000; i < 2_000; i++) await cache.token(`tenant-${i}`, settings(), issue(`t-${i}`, 60_000));
    assert.equal(cache.size, 1_000, "the expired first thousand are gone, the valid second thousand stay");
  });

  it("keeps an entry while its token is valid or a fetch runs", async () => {
    const cache = new TokenCache();
    await cache.token("valid", settings(), issue("v", 60_000));
    let release!: () => void;
    const held: Fetcher = () =>
      new Promise((
        resolve,
      ) => (release = () => resolve({ token: { token: "h", issuedAt: Date.now(), expiresAt: Date.now() + 50 } })));
    const pending = cache.token("held", settings(), held);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await cache.token("new", settings(), issue("n", 60_000)); // sweeps
    assert.equal(cache.size, 3);
    release();
    assert.equal((await pending).token, "h");
  });

  it("never hands out a rejected token, not even one a fetch brings back", async () => {
    const cache = new TokenCache();
    assert.equal((await cache.token("k", settings(), issue("old", 60_000))).token, "old");
    cache.reject("k", "old");
    let calls = 0;
    const fetcher: Fetcher = () =>
      Promise.resolve({
        token: { token: ++calls === 1 ? "old" : "new", issuedAt: Date.now(), expiresAt: Date.now() + 60_000 },
      });
    await assert.rejects(cache.token("k", settings(), fetcher), { code: "ERR_TOKEN_RESPONSE" }); // brought it back
    assert.equal((await cache.token("k", settings(), fetcher)).token, "new");
  });
});
