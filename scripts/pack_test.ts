/**
 * The packed tarball, installed into a fresh project, against the stand-in on loopback:
 *   (a) Node imports it and makes a token + API call (and the ./testing export works),
 *   (b) a Worker importing it is bundled with esbuild (as wrangler would) and runs in Miniflare,
 *   (c) Deno imports it through the project's local node_modules.
 * Prints one line per check and exits non-zero if any failed.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { createStandIn } from "../src/testing/mod.ts";
import { serve } from "../test/support/node_server.ts";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rapidata-fetch-pack-"));
const standIn = createStandIn();
const server = await serve(standIn.fetch);
const results: [string, boolean, string][] = [];

function envFor(name: string) {
  const { clientId, clientSecret } = standIn.addClient({ clientId: `pack-${name}` });
  return {
    RAPIDATA_CLIENT_ID: clientId,
    RAPIDATA_CLIENT_SECRET: clientSecret,
    RAPIDATA_API_URL: server.url,
    RAPIDATA_AUTH_URL: server.url,
  };
}

async function check(name: string, run: () => Promise<string>): Promise<void> {
  try {
    results.push([name, true, await run()]);
  } catch (error) {
    const e = error as { message?: string; stdout?: string; stderr?: string };
    results.push([name, false, `${e.message ?? error}\n${e.stdout ?? ""}${e.stderr ?? ""}`.trim()]);
  }
}

const SCRIPT = `
import { fromEnv, VERSION } from "@rapidata/fetch";
import { createStandIn } from "@rapidata/fetch/testing";
const orders = await fromEnv().get("/orders");
const standIn = createStandIn();
const { clientId, clientSecret } = standIn.addClient();
const { createClient } = await import("@rapidata/fetch");
await createClient({ clientId, clientSecret, fetch: standIn.fetch }).get("/orders");
const { serveStandIn } = await import("@rapidata/fetch/testing/node");
const served = await serveStandIn();
const overHttp = served.standIn.addClient();
await createClient({ ...overHttp, apiUrl: served.url, authUrl: served.url }).get("/orders");
if (served.standIn.stats(overHttp.clientId).apiCalls !== 1) throw new Error("@rapidata/fetch/testing/node");
await served.close();
const { typed } = await import("@rapidata/fetch/api");
const api = typed(createClient({ clientId, clientSecret, fetch: standIn.fetch }));
const typedOrder = await api.get("/order/{orderId}", { path: { orderId: "order-1" } });
if (typedOrder.orderName !== "Order 1") throw new Error("@rapidata/fetch/api: " + JSON.stringify(typedOrder));
console.log(JSON.stringify({ version: VERSION, orders: orders.items.length, inProcess: standIn.stats(clientId).apiCalls }));
`;

try {
  const packed = await exec("npm", ["pack", "--silent", "--pack-destination", work], { cwd: root });
  const tarball = join(work, packed.stdout.trim().split("\n").at(-1)!);
  const project = join(work, "project");
  rmSync(project, { recursive: true, force: true });
  await exec("mkdir", ["-p", project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await exec("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: project });
  const files = readdirSync(join(project, "node_modules", "@rapidata", "fetch"));
  writeFileSync(join(project, "check.mjs"), SCRIPT);
  writeFileSync(join(project, "check.ts"), SCRIPT);
  writeFileSync(
    join(project, "worker.js"),
    `import { fromEnv } from "@rapidata/fetch";
let rapidata;
export default { async fetch(_request, env) { rapidata ??= fromEnv(env); return Response.json(await rapidata.get("/orders")); } };`,
  );

  await check(`tarball installs (${files.sort().join(", ")})`, () => Promise.resolve(tarball.split("/").at(-1)!));

  await check("node imports the tarball: token + API call, ./testing export", async () => {
    const env = envFor("node");
    const { stdout } = await exec(process.execPath, ["check.mjs"], { cwd: project, env: { ...process.env, ...env } });
    const stats = standIn.stats(env.RAPIDATA_CLIENT_ID);
    if (stats.tokenRequests !== 1 || stats.apiCalls !== 1) throw new Error(`stand-in saw ${JSON.stringify(stats)}`);
    return stdout.trim();
  });

  await check("a Worker bundled from the tarball (workerd condition) runs in Miniflare", async () => {
    const env = envFor("workerd");
    const bundle = await build({
      entryPoints: [join(project, "worker.js")],
      absWorkingDir: project,
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*"],
      write: false,
      metafile: true,
    });
    const text = bundle.outputFiles[0]!.text;
    if (/from\s*["']node:/.test(text)) throw new Error("the Worker bundle imports a node: module");
    // The "workerd" export condition chose the workerd entry (workerd's own waitUntil for renewals).
    if (!/from\s*["']cloudflare:workers["']/.test(text)) throw new Error("the workerd entry was not chosen");
    const mf = new Miniflare({ modules: true, script: text, compatibilityDate: "2026-04-01", bindings: env });
    try {
      const responses = await Promise.all(Array.from({ length: 10 }, () => mf.dispatchFetch("http://worker.test/")));
      const statuses = responses.map((r) => r.status);
      await Promise.all(responses.map((r) => r.text()));
      if (statuses.some((s) => s !== 200)) throw new Error(`statuses ${statuses}`);
    } finally {
      await mf.dispose();
    }
    const stats = standIn.stats(env.RAPIDATA_CLIENT_ID);
    if (stats.tokenRequests !== 1 || stats.apiCalls !== 10) throw new Error(`stand-in saw ${JSON.stringify(stats)}`);
    return `10 requests, 1 token request, ${text.length} B bundle`;
  });

  await check("deno imports the tarball through node_modules", async () => {
    const env = envFor("deno");
    const { stdout } = await exec(join(root, "node_modules", ".bin", "deno"), ["run", "-A", "check.ts"], {
      cwd: project,
      env: { ...process.env, ...env },
    });
    const stats = standIn.stats(env.RAPIDATA_CLIENT_ID);
    if (stats.tokenRequests !== 1 || stats.apiCalls !== 1) throw new Error(`stand-in saw ${JSON.stringify(stats)}`);
    return stdout.trim();
  });
  await check("examples/node/script.mjs runs on @rapidata/fetch/node from the tarball", async () => {
    const env = envFor("node-entry");
    writeFileSync(join(project, "script.mjs"), readFileSync(join(root, "examples", "node", "script.mjs")));
    const { stdout } = await exec(process.execPath, ["script.mjs"], { cwd: project, env: { ...process.env, ...env } });
    if (standIn.stats(env.RAPIDATA_CLIENT_ID).apiCalls !== 1) throw new Error(stdout);
    return stdout.trim();
  });

  await check("the rapidata-fetch bin (npx) makes an authenticated call", async () => {
    const env = envFor("bin");
    const { stdout } = await exec("npx", ["--no-install", "rapidata-fetch", "get", "/orders", "--json"], {
      cwd: project,
      env: { ...process.env, ...env, NO_COLOR: "1" },
    });
    const stats = standIn.stats(env.RAPIDATA_CLIENT_ID);
    if (stats.apiCalls !== 1 || JSON.parse(stdout).items.length !== 10) {
      throw new Error(`stand-in saw ${JSON.stringify(stats)}`);
    }
    return "get /orders: 10 items";
  });

  await check("deno run -A npm:@rapidata/fetch/cli (through node_modules)", async () => {
    const env = envFor("deno-cli");
    const { stdout } = await exec(
      join(root, "node_modules", ".bin", "deno"),
      ["run", "-A", "npm:@rapidata/fetch/cli", "token", "--json"],
      { cwd: project, env: { ...process.env, ...env, NO_COLOR: "1" } },
    );
    if (JSON.parse(stdout).apiAudience !== true) throw new Error(stdout);
    return stdout.trim();
  });
} catch (error) {
  results.push(["pack and install", false, String((error as Error).message ?? error)]);
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}

for (const [name, ok, detail] of results) console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
