/**
 * The behaviour suite inside Vercel's Edge runtime (the `edge-runtime` package's EdgeVM): the suite is
 * bundled with the edge harness (node:assert/strict and node:util replaced by small shims: the VM has
 * no node: modules), evaluated in the VM, and run against the stand-in served by Node on two loopback
 * origins. Prints one line per failure and "N passed, M failed"; exits non-zero on any failure.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { EdgeRuntime } from "edge-runtime";
import { createStandIn } from "../src/testing/mod.ts";
import { serve } from "../test/support/node_server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const standIn = createStandIn();
const servers = [await serve(standIn.fetch), await serve(standIn.fetch)];
const bundle = await build({
  entryPoints: [`${root}test/runtimes/edge/entry.ts`],
  bundle: true,
  format: "iife",
  platform: "browser",
  conditions: ["edge-light", "worker", "browser"],
  ignoreAnnotations: true, // the suite is imported for its side effects (package.json says sideEffects: false)
  alias: {
    "node:assert/strict": `${root}test/runtimes/edge/assert_shim.ts`,
    "node:util": `${root}test/runtimes/edge/util_shim.ts`,
  },
  write: false,
  logLevel: "silent",
});
const vm = new EdgeRuntime();
vm.context.__edgeConfig = { standInUrl: servers[0]!.url, otherOriginUrl: servers[1]!.url };
vm.evaluate(bundle.outputFiles[0]!.text);
const results = await (vm.context.__edgeRun as () => Promise<{ name: string; error?: string }[]>)();
for (const server of servers) await server.close();
const failed = results.filter((result) => result.error !== undefined);
for (const result of failed) console.log(`FAIL ${result.name}\n     ${result.error}`);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length > 0 || results.length === 0 ? 1 : 0);
