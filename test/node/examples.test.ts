/**
 * The examples users copy: the README quotes them word for word, and `npm start` (the demo) runs each
 * of them (Worker in Miniflare, Deno, Node) against the local stand-in.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, it } from "vitest";
import { VERSION } from "../../mod.ts";

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
});
