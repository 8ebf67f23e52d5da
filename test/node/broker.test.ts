/**
 * The Durable Object broker in workerd (Miniflare): many isolates (separate workers, no shared memory)
 * ask one RapidataTokenBroker, and the fleet makes one token request.
 */
import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createStandIn } from "../../src/testing/mod.ts";
import { serve, type Served } from "../support/node_server.ts";
import { bundleWorker } from "../support/bundle_worker.ts";

const ISOLATES = 8;
const standIn = createStandIn();
let served: Served;
let mf: Miniflare;

beforeAll(async () => {
  served = await serve(standIn.fetch);
  const script = await bundleWorker(new URL("./fixtures/broker_worker.ts", import.meta.url));
  mf = new Miniflare({
    workers: Array.from({ length: ISOLATES }, (_, i) => ({
      name: `isolate-${i}`,
      modules: true,
      script,
      compatibilityDate: "2026-04-01",
      bindings: { STAND_IN_URL: served.url },
      durableObjects: { BROKER: { className: "RapidataTokenBroker", scriptName: "isolate-0" } },
    })),
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  await served?.close();
});

describe("RapidataTokenBroker", () => {
  it(`${ISOLATES} isolates x 5 concurrent requests: one token request for the whole fleet`, async () => {
    const creds = standIn.addClient();
    const query = new URLSearchParams({ id: creds.clientId, secret: creds.clientSecret });
    const calls = [];
    for (let i = 0; i < ISOLATES; i++) {
      const worker = await mf.getWorker(`isolate-${i}`);
      for (let n = 0; n < 5; n++) calls.push(worker.fetch(`http://worker.test/?${query}`));
    }
    const responses = await Promise.all(calls);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(ISOLATES * 5).fill(200),
      bodies.find((b) => !b.startsWith("{")),
    );
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
    assert.equal(standIn.stats(creds.clientId).apiCalls, ISOLATES * 5);
  });

  it("a broker that cannot get a token makes the isolates fall back to the token endpoint themselves", async () => {
    const creds = standIn.addClient();
    standIn.injectFaults(creds.clientId, { token: [{ status: 400, body: "{}", times: 2 }] });
    const query = new URLSearchParams({ id: creds.clientId, secret: creds.clientSecret });
    const worker = await mf.getWorker("isolate-1");
    const failed = await worker.fetch(`http://worker.test/?${query}`);
    assert.deepEqual([failed.status, await failed.text()], [500, "RapidataAuthError"]);
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2); // the broker's, then the isolate's own
    const ok = await worker.fetch(`http://worker.test/?${query}`);
    assert.equal(ok.status, 200);
    await ok.text();
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 3);
  });
});
