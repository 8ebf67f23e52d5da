import assert from "node:assert/strict";
import { createClient } from "../../mod.ts";
import { serveStandIn } from "../../testing_node.ts";
import { describe, it } from "../support/harness.ts";

describe("@rapidata/fetch/testing/node: serveStandIn", () => {
  it("serves a stand-in on a free loopback port; clients reach it over HTTP; close stops it", async () => {
    const { url, standIn, close } = await serveStandIn({ tokenLifetime: 120 });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const credentials = standIn.addClient();
    const rapidata = createClient({ ...credentials, apiUrl: url, authUrl: url });
    assert.equal((await rapidata.get<{ total: number }>("/orders")).total, 25);
    assert.deepEqual(
      [standIn.stats(credentials.clientId).tokenRequests, standIn.stats(credentials.clientId).apiCalls],
      [1, 1],
    );
    const other = await serveStandIn();
    assert.notEqual(other.url, url); // each on its own free port
    await other.close();
    await close();
    await assert.rejects(fetch(`${url}/orders`)); // nothing listens any more
  });
});
