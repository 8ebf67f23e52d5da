/**
 * `npm start`: the three examples (a Cloudflare Worker in Miniflare, a Deno script, a Node script)
 * against the built-in local stand-in of Rapidata on loopback. Prints per runtime the API calls made,
 * the token requests made and the audience the token carried. No network beyond loopback.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { DEFAULT_SCOPE } from "../mod.ts";
import { createStandIn, type StandInStats } from "../src/testing/mod.ts";
import { bundleWorker } from "../test/support/bundle_worker.ts";
import { serve } from "../test/support/node_server.ts";

const BURST = 100;
const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => `${root}node_modules/.bin/${name}`;

const standIn = createStandIn();
const server = await serve(standIn.fetch);
const envFor = (runtime: string) => {
  const { clientId, clientSecret } = standIn.addClient({ clientId: `demo-${runtime}` });
  return {
    RAPIDATA_CLIENT_ID: clientId,
    RAPIDATA_CLIENT_SECRET: clientSecret,
    RAPIDATA_API_URL: server.url,
    RAPIDATA_AUTH_URL: server.url,
  };
};

function report(runtime: string, what: string, stats: StandInStats): void {
  console.log(`\n${runtime}: ${what}`);
  console.log(`  API calls made:  ${stats.apiCalls}`);
  console.log(`  token requests:  ${stats.tokenRequests}`);
  console.log(`  token audience:  ${(stats.lastAudience ?? []).join(", ")}`);
}

/** Runs an example as a child process (asynchronously: the stand-in lives in this process). */
async function runScript(runtime: string, command: string, args: string[]): Promise<void> {
  const env = envFor(runtime);
  const { stdout } = await promisify(execFile)(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 30_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${runtime} example failed: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  });
  report(runtime, `${args.at(-1)} printed ${stdout.trim().slice(0, 60)}…`, standIn.stats(env.RAPIDATA_CLIENT_ID));
}

let failed = false;
try {
  console.log(`Rapidata stand-in on ${server.url} (scope "${DEFAULT_SCOPE}")`);

  // 1. The Worker example, bundled as wrangler would, in workerd via Miniflare: a concurrent burst.
  const script = await bundleWorker(new URL("worker/src/index.ts", import.meta.url));
  const workerEnv = envFor("workerd");
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2026-04-01",
    bindings: workerEnv,
  });
  try {
    const responses = await Promise.all(
      Array.from({ length: BURST }, () => mf.dispatchFetch("http://example.worker/")),
    );
    const bodies = await Promise.all(responses.map((response) => response.text()));
    const ok = responses.filter((response) => response.status === 200).length;
    if (ok !== BURST) {
      throw new Error(`worker: ${BURST - ok} requests failed: ${bodies.find((b) => !b.startsWith("{"))}`);
    }
    report(
      "workerd (Miniflare)",
      `${BURST} concurrent requests to examples/worker, all 200`,
      standIn.stats(workerEnv.RAPIDATA_CLIENT_ID),
    );
  } finally {
    await mf.dispose();
  }

  // 2. The Deno example (the import map points npm:@rapidata/fetch at this checkout).
  await runScript("deno", bin("deno"), [
    "run",
    "--allow-net",
    "--allow-env",
    "--import-map",
    "examples/deno/import_map.json",
    "examples/deno/main.ts",
  ]);

  // 3. The Node example (imports @rapidata/fetch, i.e. this package's built dist/).
  await runScript("node", process.execPath, ["examples/node/main.mjs"]);
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? error.message : error);
} finally {
  await server.close();
}
process.exit(failed ? 1 : 0);
