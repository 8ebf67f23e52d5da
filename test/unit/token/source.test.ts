/** Unit tests of the fixed-token source (src/token/source.ts). */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { RapidataAuthError } from "../../../src/errors.ts";
import { fixedTokenSource } from "../../../src/token/source.ts";

/** A clock the test sets. */
function clock(start: number) {
  let time = start;
  return { now: () => time, set: (to: number) => void (time = to) };
}

describe("fixedTokenSource", () => {
  it("hands out the token until expiresAt, then rejects with ERR_TOKEN_EXPIRED", async () => {
    const time = clock(1_000);
    const source = fixedTokenSource("fixed-token", 5_000, time.now);
    assert.equal(await source.token(), "fixed-token");
    time.set(4_999);
    assert.equal(await source.token(), "fixed-token");
    time.set(5_000);
    await assert.rejects(source.token(), (error: unknown) => {
      assert.ok(error instanceof RapidataAuthError);
      assert.equal(error.code, "ERR_TOKEN_EXPIRED");
      assert.equal(error.status, undefined);
      assert.equal(error.error, undefined);
      assert.match(error.message, /The fixed "token" has expired/);
      assert.ok(!error.message.includes("fixed-token"), "the token is not in the message");
      return true;
    });
    time.set(1e15);
    await assert.rejects(source.token({ deadline: 1 }), { code: "ERR_TOKEN_EXPIRED" });
  });

  it("fresh(): the token without a promise until expiresAt", () => {
    const time = clock(1_000);
    const source = fixedTokenSource("fixed-token", 5_000, time.now);
    assert.equal(source.fresh?.(), "fixed-token");
    time.set(5_000);
    assert.equal(source.fresh?.(), undefined);
  });

  it("reads the clock on each call", async () => {
    const time = clock(10_000);
    const source = fixedTokenSource("t", 5_000, time.now);
    await assert.rejects(source.token(), { code: "ERR_TOKEN_EXPIRED" });
    time.set(0); // the clock went back: valid again
    assert.equal(await source.token(), "t");
  });

  it("never expires with expiresAt Infinity", async () => {
    const source = fixedTokenSource("forever", Infinity, () => Number.MAX_VALUE);
    assert.equal(await source.token(), "forever");
  });

  it("is not renewable, and a rejection changes nothing", async () => {
    const source = fixedTokenSource("fixed-token", Infinity, Date.now);
    assert.equal(source.renewable, false);
    assert.equal(await source.rejected("fixed-token"), undefined);
    assert.equal(await source.token(), "fixed-token");
  });

  it("returns a promise, rejected rather than thrown, once expired", () => {
    const source = fixedTokenSource("t", 0, () => 1);
    const pending = source.token();
    assert.ok(pending instanceof Promise);
    return assert.rejects(pending, { code: "ERR_TOKEN_EXPIRED" });
  });
});
