/**
 * The examples users copy: the README quotes them word for word, and `npm start` (the demo) runs each
 * of them (Worker in Miniflare, Deno, Node) against the local stand-in.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { describe, it } from "vitest";
import { VERSION } from "../../mod.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { bundleWorker } from "../support/bundle_worker.ts";
import { serve } from "../support/node_server.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("examples", () => {
  it("appear in the README word for word", () => {
    const readme = read("README.md");
    for (
      const file of [
        "examples/worker/src/index.ts",
        "examples/worker/wrangler.toml",
        "examples/deno/main.ts",
        "examples/node/main.mjs",
        "examples/node/script.mjs",
        "examples/deno/workflow.ts",
        "examples/worker_waits/src/index.ts",
        "examples/worker_waits/wrangler.toml",
      ]
    ) {
      assert.ok(readme.includes(read(file)), `README quotes ${file}`);
    }
  });

  it("pin the Deno example to this version", () => {
    assert.ok(read("examples/deno/deno.json").includes(`"npm:@rapidata/fetch@${VERSION}"`));
  });

  it("run in the demo: workerd burst, Deno and Node, one token request each, with the API audience", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "examples/demo.ts"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    const sections = stdout.split("\n\n").slice(1);
    assert.deepEqual(sections.map((s) => s.split(":")[0]), ["workerd (Miniflare)", "deno", "node"]);
    for (const section of sections) {
      assert.match(section, /token requests: {2}1\n/);
      assert.match(section, /token audience: {2}https:\/\/api\.rapidata\.ai/);
    }
    assert.match(sections[0]!, /API calls made: {2}100\n/);
  }, 90_000);

  it(
    "the Deno workflow script: uploads three images, pages through orders, waits for a job, streams its results",
    async () => {
      const standIn = createStandIn();
      const server = await serve(standIn.fetch);
      const dir = mkdtempSync(join(tmpdir(), "rapidata-workflow-"));
      try {
        const { clientId, clientSecret } = standIn.addClient();
        const jobId = standIn.addJob({ states: ["Queued", "Running", "Completed"], results: '{"winner":"cats"}' });
        const images = ["a.png", "b.png", "c.jpg"];
        for (const name of images) writeFileSync(join(dir, name), `image ${name}`);
        const { stdout } = await promisify(execFile)(fileURLToPath(new URL("node_modules/.bin/deno", root)), [
          "run",
          "--allow-net",
          "--allow-env",
          "--allow-read",
          "--allow-write",
          "--import-map",
          fileURLToPath(new URL("examples/deno/import_map.json", root)),
          fileURLToPath(new URL("examples/deno/workflow.ts", root)),
          jobId,
          ...images,
        ], {
          cwd: dir,
          encoding: "utf8",
          timeout: 60_000,
          env: {
            ...process.env,
            NO_COLOR: "1",
            RAPIDATA_CLIENT_ID: clientId,
            RAPIDATA_CLIENT_SECRET: clientSecret,
            RAPIDATA_API_URL: server.url,
            RAPIDATA_AUTH_URL: server.url,
          },
        });
        const stored = [...stdout.matchAll(/^uploaded (\S+) as (\S+)$/gm)];
        assert.deepEqual(stored.map((m) => m[1]), images);
        assert.deepEqual(stored.map((m) => standIn.asset(m[2]!)?.head), images.map((name) => `image ${name}`));
        assert.match(stdout, /^9 completed orders$/m);
        assert.match(stdout, /job: Queued\njob: Running\njob: Completed\n/);
        assert.equal(readFileSync(join(dir, `results-${jobId}.json`), "utf8"), '{"winner":"cats"}');
        assert.equal(standIn.stats(clientId).tokenRequests, 1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await server.close();
      }
    },
    90_000,
  );

  it("the Worker recipe for long waits: a Durable Object's alarm looks at the job until it is finished", async () => {
    const standIn = createStandIn();
    const server = await serve(standIn.fetch);
    const { clientId, clientSecret } = standIn.addClient();
    const mf = new Miniflare({
      modules: true,
      script: await bundleWorker(new URL("examples/worker_waits/src/index.ts", root)),
      compatibilityDate: "2026-04-01",
      durableObjects: { WATCHER: "JobWatcher" },
      bindings: {
        RAPIDATA_CLIENT_ID: clientId,
        RAPIDATA_CLIENT_SECRET: clientSecret,
        RAPIDATA_API_URL: server.url,
        RAPIDATA_AUTH_URL: server.url,
        POLL_INTERVAL_MS: "10",
      },
    });
    try {
      const jobs = {
        completed: standIn.addJob({ states: ["Queued", "Running", "Running", "Completed"] }),
        stale: standIn.addJob({ states: ["StaleResults"], afterRetry: ["StaleResults", "Completed"] }),
        failed: standIn.addJob({ states: ["Running", "Failed"], failureMessage: "no audience" }),
        review: standIn.addJob({ states: ["ManualApproval"] }),
      };
      for (const id of Object.values(jobs)) {
        assert.equal((await mf.dispatchFetch(`http://worker/jobs/${id}`, { method: "POST" })).status, 200);
      }
      const watched = async (id: string) =>
        await (await mf.dispatchFetch(`http://worker/jobs/${id}`)).json() as {
          state: string;
          done: boolean;
          error?: { code: string };
        };
      for (let i = 0; i < 500; i++) { // bounded: a broken recipe fails here instead of hanging
        const all = await Promise.all(Object.values(jobs).map(watched));
        if (all.every((watch) => watch.done)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const completed = await watched(jobs.completed);
      assert.deepEqual([completed.state, completed.done, completed.error], ["Completed", true, undefined]);
      assert.equal(standIn.progress(jobs.completed)!.polls, 4);
      assert.equal((await watched(jobs.stale)).state, "Completed");
      assert.equal(standIn.progress(jobs.stale)!.retries, 1);
      assert.equal((await watched(jobs.failed)).error?.code, "ERR_WAIT_FAILED");
      assert.equal((await watched(jobs.review)).error?.code, "ERR_WAIT_BLOCKED");
      assert.equal((await mf.dispatchFetch("http://worker/jobs/unknown")).status, 404);
    } finally {
      await mf.dispose();
      await server.close();
    }
  }, 90_000);
});
