/** The waits between polls of the workflows (src/api/poll.ts): first about `interval`, growing, capped. */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { backoff, WORKFLOW_DEFAULTS } from "../../../src/api/poll.ts";

describe("backoff", () => {
  it("starts at about the interval, grows 1.5 times, and stops growing at 30 s", () => {
    const middle = backoff(1_000, () => 0.5); // jitter at its middle: the bare schedule
    const waits = Array.from({ length: 12 }, middle);
    assert.deepEqual(waits.slice(0, 4), [1_000, 1_500, 2_250, 3_375]);
    assert.equal(Math.max(...waits), WORKFLOW_DEFAULTS.maxInterval);
    assert.equal(waits.at(-1), 30_000);
  });

  it("jitters each wait by at most ±20 %, never above the cap", () => {
    assert.equal(backoff(1_000, () => 0)(), 800);
    assert.equal(backoff(1_000, () => 0.999_999)() <= 1_200, true);
    const high = backoff(1_000, () => 0.999_999);
    for (let i = 0; i < 20; i++) assert.ok(high() <= 30_000);
  });

  it("defaults to 1 s; an interval above 30 s is kept as it is", () => {
    assert.equal(backoff(undefined, () => 0.5)(), 1_000);
    const long = backoff(60_000, () => 0.5);
    assert.deepEqual([long(), long(), long()], [60_000, 60_000, 60_000]);
  });
});
