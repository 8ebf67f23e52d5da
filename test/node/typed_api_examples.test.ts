/**
 * The Typed API examples: the README quotes them word for word, `tsc -p tsconfig.test.json` type-checks
 * them against the built package (`@rapidata/fetch/api` from dist/), and here they run on Node against
 * the stand-in on loopback.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createStandIn } from "../../src/testing/mod.ts";
import { serve, type Served } from "../support/node_server.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const EXAMPLES = ["examples/typed_api.ts", "examples/openapi_fetch.ts"];

const standIn = createStandIn();
let server: Served;
beforeAll(async () => void (server = await serve(standIn.fetch)));
afterAll(() => server.close());

async function run(file: string): Promise<{ stdout: string; clientId: string }> {
  const { clientId, clientSecret } = standIn.addClient();
  const env = {
    ...process.env,
    RAPIDATA_CLIENT_ID: clientId,
    RAPIDATA_CLIENT_SECRET: clientSecret,
    RAPIDATA_API_URL: server.url,
    RAPIDATA_AUTH_URL: server.url,
  };
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 30_000,
  });
  return { stdout, clientId };
}

describe("Typed API examples", () => {
  it("appear in the README word for word, under Typed API", () => {
    const readme = read("README.md");
    const section = readme.slice(readme.indexOf("## Typed API"));
    assert.ok(readme.includes("## Typed API"));
    for (const file of EXAMPLES) assert.ok(section.includes(read(file)), `README's Typed API section quotes ${file}`);
  });

  it("examples/typed_api.ts lists orders and reads each one by id", async () => {
    const { stdout, clientId } = await run("examples/typed_api.ts");
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(lines.length, 5); // page_size 5, of the 9 completed orders
    for (const line of lines) {
      assert.match(line.id, /^order-\d+$/);
      assert.equal(line.state, "Completed"); // state[eq]=Completed reached the stand-in's filter
    }
    assert.equal(standIn.stats(clientId).apiCalls, 1 + lines.length);
    assert.equal(standIn.stats(clientId).tokenRequests, 1);
  }, 40_000);

  it("examples/openapi_fetch.ts calls GET /orders through rapidata.fetch", async () => {
    const { stdout, clientId } = await run("examples/openapi_fetch.ts");
    // state[eq]=Completed, as openapi-fetch serialises it: the stand-in's 9 completed orders (page size 10).
    assert.equal(JSON.parse(stdout).orders.length, 9);
    assert.equal(standIn.stats(clientId).apiCalls, 1);
  }, 40_000);
});
