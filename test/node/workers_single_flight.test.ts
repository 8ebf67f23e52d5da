/**
 * Single flight inside workerd across requests (driven through Miniflare): other requests must never
 * hang on a token fetch whose originating request ended or was cancelled.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createStandIn } from "../../src/testing/mod.ts";
import { serve, type Served } from "../support/node_server.ts";
import { bundleWorker } from "../support/bundle_worker.ts";

const standIn = createStandIn();
let served: Served;
let mf: Miniflare;

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), "condition not reached within 5 s");
}

function route(path: string, creds: { clientId: string; clientSecret: string }, timeout = 1000): string {
  const query = new URLSearchParams({ id: creds.clientId, secret: creds.clientSecret, timeout: String(timeout) });
  return `http://worker.test${path}?${query}`;
}

beforeAll(async () => {
  served = await serve(standIn.fetch);
  mf = new Miniflare({
    modules: true,
    script: await bundleWorker(new URL("./fixtures/flight_worker.ts", import.meta.url)),
    compatibilityDate: "2026-04-01",
    bindings: { STAND_IN_URL: served.url },
    // workerd warns when a promise is settled from a request that has ended: what one test here does on
    // purpose. That one warning is expected; anything else the runtime prints passes through.
    handleRuntimeStdio(stdout, stderr) {
      stdout.pipe(process.stdout);
      stderr.on("data", (chunk: Buffer) => {
        const text = String(chunk);
        if (!text.includes("from a different request context")) process.stderr.write(text);
      });
    },
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  await served?.close();
});

describe("single flight in workerd", () => {
  it("many concurrent requests share one token request while its originator lives", async () => {
    const creds = standIn.addClient();
    const release = standIn.holdTokens(creds.clientId);
    const calls = Array.from({ length: 20 }, () => mf.dispatchFetch(route("/orders", creds, 30_000)));
    await until(() => standIn.stats(creds.clientId).tokenRequests === 1);
    release();
    const responses = await Promise.all(calls);
    assert.deepEqual(responses.map((r) => r.status), Array(20).fill(200));
    await Promise.all(responses.map((r) => r.text()));
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
    assert.equal(standIn.stats(creds.clientId).apiCalls, 20);
  });

  it("a request that ended before its token fetch settled does not hang the next one", async () => {
    const creds = standIn.addClient();
    const release = standIn.holdTokens(creds.clientId);
    assert.equal(await (await mf.dispatchFetch(route("/start", creds))).text(), "started");
    await until(() => standIn.stats(creds.clientId).tokenRequests === 1);
    release(); // too late: the request that owned the fetch is gone
    const response = await mf.dispatchFetch(route("/orders", creds));
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { page: number }).page, 1);
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
  });

  it("a request that cancelled its call (AbortSignal) does not hang the next one", async () => {
    const creds = standIn.addClient();
    const release = standIn.holdTokens(creds.clientId);
    const abandoned = await mf.dispatchFetch(route("/abandon", creds));
    assert.equal(await abandoned.text(), "TimeoutError"); // the caller's own signal reason, untouched
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
    release();
    const response = await mf.dispatchFetch(route("/orders", creds));
    assert.equal(response.status, 200);
    await response.text();
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
  });
});
