/** The stand-in made at a Worker's top level, where workerd refuses random values and I/O (Miniflare). */
import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { describe, it } from "vitest";
import { bundleWorker } from "../support/bundle_worker.ts";

describe("the stand-in in workerd's global scope", () => {
  it("createStandIn, addClient and createClient at the top level: the Worker starts and serves", async () => {
    const script = await bundleWorker(new URL("./fixtures/top_level_stand_in_worker.ts", import.meta.url));
    const mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-04-01" });
    try {
      const first = await (await mf.dispatchFetch("http://worker.test/")).json();
      const second = await (await mf.dispatchFetch("http://worker.test/")).json();
      assert.deepEqual([first, second], [{ total: 25, tokenRequests: 1 }, { total: 25, tokenRequests: 1 }]);
    } finally {
      await mf.dispose();
    }
  });
});
