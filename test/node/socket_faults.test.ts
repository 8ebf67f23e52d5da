/**
 * Faults over real sockets (Node): the stand-in served on 127.0.0.1 drops the TCP connection, and the
 * platform's own error surfaces as ERR_NETWORK, retried only where that is safe.
 */
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createClient, RapidataError } from "../../mod.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { serve, type Served } from "../support/node_server.ts";

const standIn = createStandIn();
let server: Served;
beforeAll(async () => void (server = await serve(standIn.fetch)));
afterAll(() => server.close());

function client(plan: Parameters<typeof standIn.injectFaults>[1]) {
  const creds = standIn.addClient();
  standIn.injectFaults(creds.clientId, plan);
  const rapidata = createClient({
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    apiUrl: server.url,
    authUrl: server.url,
    sleep: () => Promise.resolve(),
  });
  return { rapidata, stats: () => standIn.stats(creds.clientId) };
}

describe("socket faults", () => {
  it("a dropped connection at the token endpoint is retried", async () => {
    const { rapidata, stats } = client({ token: [{ kind: "reset" }] });
    assert.equal(typeof await rapidata.accessToken(), "string");
    assert.equal(stats().tokenRequests, 2);
  });

  it("a dropped connection on a GET is retried; on a POST it is ERR_NETWORK", async () => {
    const get = client({ api: [{ kind: "reset" }] });
    assert.equal((await get.rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.equal(get.stats().apiCalls, 2);
    const post = client({ api: [{ kind: "reset" }] });
    const error = await post.rapidata.post("/dataset", { name: "x" }).catch((e: unknown) => e);
    assert.ok(error instanceof RapidataError);
    assert.equal(error.code, "ERR_NETWORK");
    assert.ok(error.cause instanceof Error);
    assert.equal(post.stats().apiCalls, 1);
  });

  it("a connection dropped in the middle of the body is ERR_NETWORK", async () => {
    const { rapidata, stats } = client({ api: [{ kind: "reset-mid-body" }] });
    const error = await rapidata.get("/orders").catch((e: unknown) => e);
    assert.ok(error instanceof RapidataError, String(error));
    assert.equal(error.code, "ERR_NETWORK");
    assert.equal(stats().apiCalls, 1);
  });
});
