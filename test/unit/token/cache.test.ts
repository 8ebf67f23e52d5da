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

  it("keeps the rejected tokens of an entry through a sweep, so a store cannot bring one back", async () => {
    const cache = new TokenCache();
    assert.equal((await cache.token("k", settings(), issue("old", 60_000))).token, "old");
    cache.reject("k", "old"); // the entry now holds no token and no fetch runs
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await cache.token("other", settings(), issue("o", 60_000)); // a sweep is due: a new entry is made
    // A store still answering with the rejected token: the cache refuses it.
    await assert.rejects(cache.token("k", settings(), issue("old", 60_000)), { code: "ERR_TOKEN_RESPONSE" });
  });

  it("a caller without a valid token that joined a failing background renewal tries for itself", async () => {
    let now = Date.now();
    const clock = () => now;
    const cache = new TokenCache();
    await cache.token(
      "k",
      settings(clock),
      () => Promise.resolve({ token: { token: "t1", issuedAt: now, expiresAt: now + 120_000 } }),
    );
    now += 61_000; // in the renewal window
    let fail!: (error: Error) => void;
    let calls = 0;
    const fetcher: Fetcher = (control) => {
      calls++;
      if (control.renewing) {
        // The renewal, held; it fails with what a retry could fix, but a renewal is tried once.
        return new Promise((_, reject) => fail = (error) => (control.cut(), reject(error)));
      }
      return Promise.resolve({ token: { token: "t2", issuedAt: now, expiresAt: now + 120_000 } });
    };
    assert.equal((await cache.token("k", settings(clock), fetcher)).token, "t1"); // starts the renewal
    cache.reject("k", "t1"); // the API refused t1: the next caller has no valid token and joins the renewal
    const joined = cache.token("k", settings(clock), fetcher);
    await new Promise((resolve) => setTimeout(resolve, 10));
    fail(new Error("renewal failed (it is tried once)"));
    assert.equal((await joined).token, "t2"); // its own fetch, not the renewal's failure
    assert.equal(calls, 2);
  });

  it("a caller that joined a fetch leaves at its own deadline while the fetch waits to retry", async () => {
    const cache = new TokenCache();
    const failure = new Error("503, Retry-After: 60");
    let release!: () => void;
    const fetcher: Fetcher = (control) =>
      new Promise((_, reject) => {
        // The first attempt fails after the caller below joined; a retry's wait of 60 s is announced.
        setTimeout(() => control.progress(60_000, failure), 20);
        release = () => reject(failure);
      });
    const owner = cache.token("k", settings(), fetcher); // no deadline
    owner.catch(() => {});
    // Joins with a deadline 100 ms away: it leaves with the failure, long before the stall bound (1.1 s).
    const joiner = cache.token("k", settings(), fetcher, { deadline: Date.now() + 100 });
    const left = await Promise.race([
      joiner.then(() => "resolved", (error) => error === failure ? "left with the failure" : String(error)),
      new Promise((resolve) => setTimeout(resolve, 1_000, "still waiting at 1 s")),
    ]);
    assert.equal(left, "left with the failure");
    release();
    await assert.rejects(owner, failure);
  });

  it("a token landing through any fetch ends every wait, also on a later fetch and for its starter", async () => {
    const cache = new TokenCache();
    const fast = { ...settings(), stallAfter: 50 };
    const gates: ((token: string) => void)[] = [];
    const fetcher: Fetcher = () =>
      new Promise((resolve) =>
        gates.push((token) => resolve({ token: { token, issuedAt: Date.now(), expiresAt: Date.now() + 60_000 } }))
      );
    const a = cache.token("k", fast, fetcher); // fetch 1 (its answer will be late)
    await new Promise((resolve) => setTimeout(resolve, 100)); // fetch 1 is past its stall bound
    const b = cache.token("k", fast, fetcher); // takes over: fetch 2
    const c = cache.token("k", fast, fetcher); // joins fetch 2
    assert.equal(gates.length, 2);
    gates[0]!("t1"); // fetch 1 lands after all
    assert.deepEqual(
      await Promise.all([a, b, c].map((p) => p.then((t) => t.token))),
      ["t1", "t1", "t1"], // nobody waited for fetch 2
    );
    gates[1]!("t2");
  });

  it("a final failure is shared: callers with later deadlines do not fetch it again each", async () => {
    const cache = new TokenCache();
    let calls = 0;
    const final = new Error("invalid_client");
    const fetcher: Fetcher = () => {
      calls++;
      return new Promise((_, reject) => setTimeout(() => reject(final), 20));
    };
    const callers = Array.from(
      { length: 10 },
      (_, i) => cache.token("k", settings(), fetcher, { deadline: Date.now() + 5_000 + i }).catch((error) => error),
    );
    assert.deepEqual(await Promise.all(callers), Array(10).fill(final));
    assert.equal(calls, 1);
  });

  it("a caller whose deadline has passed leaves at once when it joins a fetch waiting to retry", async () => {
    const cache = new TokenCache();
    const failure = new Error("503, Retry-After: 10");
    let release!: () => void;
    const owner = cache.token("k", settings(), (control) =>
      new Promise((_, reject) => {
        control.progress(10_000, failure);
        release = () => reject(failure);
      }));
    owner.catch(() => {});
    const late = cache.token("k", settings(), () => Promise.reject(new Error("not started")), {
      deadline: Date.now() - 1,
    });
    const left = await Promise.race([
      late.then(() => "resolved", (error) => error === failure ? "left with the failure" : String(error)),
      new Promise((resolve) => setTimeout(resolve, 1_000, "still waiting at 1 s")),
    ]);
    assert.equal(left, "left with the failure");
    release();
  });
});
