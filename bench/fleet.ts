/**
 * `npm run bench:fleet`: 100 simulated isolates (separate Miniflare workers: no shared memory) call the
 * API over several token lifetimes against the stand-in, once per store. Prints token requests per
 * token lifetime for each. Deno KV is simulated separately under Deno (see README). Not a test.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { createStandIn } from "../src/testing/mod.ts";
import { serve } from "../test/support/node_server.ts";
import { startRedis } from "../test/support/redis_server.ts";
import { bundleWorker } from "../test/support/bundle_worker.ts";

const ISOLATES = Number(process.env.FLEET_ISOLATES ?? 100);
const LIFETIME = 3; // seconds
const LIFETIMES = 3;
const TICK = 250; // ms between calls of each isolate

const standIn = createStandIn();
const server = await serve(standIn.fetch);
const script = await bundleWorker(new URL("./fleet_worker.ts", import.meta.url));

const rows: string[] = [];
/** `FLEET_ONLY=redis` (or kv, deno-kv, …) runs one part only. */
const only = process.env.FLEET_ONLY;
const runs = (name: string) => only === undefined || only === name;
for (const store of ["none", "kv", "cache", "do"].filter(runs)) {
  const creds = standIn.addClient({ clientId: `fleet-${store}`, tokenLifetime: LIFETIME });
  const mf = new Miniflare({
    kvPersist: false,
    workers: Array.from({ length: ISOLATES }, (_, i) => ({
      name: `isolate-${i}`,
      modules: true,
      script,
      compatibilityDate: "2026-04-01",
      bindings: { STORE: store, ID: creds.clientId, SECRET: creds.clientSecret, STAND_IN_URL: server.url },
      kvNamespaces: { KV: "fleet-kv" },
      durableObjects: { BROKER: { className: "RapidataTokenBroker", scriptName: "isolate-0" } },
    })),
  });
  await mf.ready;
  const workers = await Promise.all(Array.from({ length: ISOLATES }, (_, i) => mf.getWorker(`isolate-${i}`)));
  // Each isolate calls on its own schedule (a random phase), as real traffic does.
  const started = Date.now();
  let calls = 0;
  let failures = 0;
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.all(workers.map(async (worker) => {
    await wait(Math.random() * TICK);
    while (Date.now() - started < LIFETIME * LIFETIMES * 1000) {
      const status = await worker.fetch("http://isolate/").then((r) => r.text());
      calls++;
      if (status !== "200") failures++;
      await wait(TICK);
    }
  }));
  const seconds = (Date.now() - started) / 1000;
  await mf.dispose();
  const { tokenRequests } = standIn.stats(creds.clientId);
  const perLifetime = tokenRequests / (seconds / LIFETIME);
  rows.push(`| ${store} | ${calls} | ${failures} | ${tokenRequests} | ${perLifetime.toFixed(1)} |`);
  console.log(rows.at(-1));
}
// Deno KV: the same fleet under Deno, each isolate its own copy of the bundled library.
if (runs("deno-kv")) {
  const creds = standIn.addClient({ clientId: "fleet-deno-kv", tokenLifetime: LIFETIME });
  const dir = mkdtempSync(join(tmpdir(), "rapidata-fleet-"));
  const library = join(dir, "library.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("../mod.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "neutral",
    outfile: library,
  });
  const deno = fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));
  const { stdout } = await promisify(execFile)(
    deno,
    ["run", "-A", "--unstable-kv", fileURLToPath(new URL("./fleet_deno.ts", import.meta.url))],
    {
      env: {
        ...process.env,
        FLEET_BUNDLE: library,
        FLEET_ISOLATES: String(ISOLATES),
        FLEET_DURATION_MS: String(LIFETIME * LIFETIMES * 1000),
        FLEET_TICK_MS: String(TICK),
        RAPIDATA_CLIENT_ID: creds.clientId,
        RAPIDATA_CLIENT_SECRET: creds.clientSecret,
        RAPIDATA_API_URL: server.url,
      },
      maxBuffer: 10 * 1024 * 1024,
    },
  );
  rmSync(dir, { recursive: true, force: true });
  const { calls, failures, seconds } = JSON.parse(stdout.trim().split("\n").at(-1)!);
  const { tokenRequests } = standIn.stats(creds.clientId);
  rows.push(
    `| deno kv | ${calls} | ${failures} | ${tokenRequests} | ${(tokenRequests / (seconds / LIFETIME)).toFixed(1)} |`,
  );
  console.log(rows.at(-1));
}
// Redis: real Node processes (each its own copy of the library and its own memory), one redis-server.
if (runs("redis")) {
  const processes = Number(process.env.FLEET_PROCESSES ?? 20);
  const creds = standIn.addClient({ clientId: "fleet-redis", tokenLifetime: LIFETIME });
  const redis = await startRedis();
  const startAt = Date.now() + 8_000; // after every process has loaded
  const script = fileURLToPath(new URL("./fleet_redis.ts", import.meta.url));
  const outputs = await Promise.all(
    Array.from({ length: processes }, () =>
      promisify(execFile)(process.execPath, ["--import", "tsx", script], {
        env: {
          ...process.env,
          FLEET_REDIS_PORT: String(redis.port),
          FLEET_START_AT: String(startAt),
          FLEET_DURATION_MS: String(LIFETIME * LIFETIMES * 1000),
          FLEET_TICK_MS: String(TICK),
          RAPIDATA_CLIENT_ID: creds.clientId,
          RAPIDATA_CLIENT_SECRET: creds.clientSecret,
          RAPIDATA_API_URL: server.url,
        },
      })),
  );
  const seconds = (Date.now() - startAt) / 1000;
  await redis.stop();
  let calls = 0;
  let failures = 0;
  for (const { stdout } of outputs) {
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    calls += result.calls;
    failures += result.failures;
  }
  const { tokenRequests } = standIn.stats(creds.clientId);
  rows.push(
    `| redis (${processes} processes) | ${calls} | ${failures} | ${tokenRequests} | ${
      (tokenRequests / (seconds / LIFETIME)).toFixed(1)
    } |`,
  );
  console.log(rows.at(-1));
}
await server.close();

console.log(
  `\nFleet: ${ISOLATES} isolates, ${LIFETIME}-second tokens, ${LIFETIMES} lifetimes, a call per isolate every ${TICK} ms`,
);
console.log("| store | calls | failures | token requests | per token lifetime |");
console.log("|---|---|---|---|---|");
for (const row of rows) console.log(row);
