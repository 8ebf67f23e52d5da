/**
 * `npx tsx bench/compare.ts <older checkout>`: the in-process cost per call (a fetch that returns a
 * ready Response) of this checkout against an older one, side by side in one run, on Node (the built
 * `dist/` of each; run `npm run build` in both first) and inside workerd (this checkout's
 * `bench/inprocess_worker.ts` bundled on each checkout's `mod.ts`). Prints the median ns per call and our own cost (above raw
 * fetch given the same timeout signal). Not a test; not part of `npm run bench`.
 *
 *   git worktree add /tmp/before <ref> && (cd /tmp/before && ln -s "$PWD/../node_modules" . ; npm run build)
 */
import { pathToFileURL } from "node:url";
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { ready, withTimeoutSignal } from "./ready.ts";

const before = process.argv[2];
if (!before) throw new Error("usage: npx tsx bench/compare.ts <older checkout>");
const trees = { before, after: new URL("..", import.meta.url).pathname };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

globalThis.fetch = ready as typeof fetch; // the clients get it as the platform's fetch

const cases: Record<string, () => Promise<unknown>> = {
  "raw fetch": () => ready("https://api.rapidata.ai/orders").then((r) => r.text()),
  "raw fetch + timeout signal": () => withTimeoutSignal(ready, "https://api.rapidata.ai/orders").then((r) => r.text()),
};
for (const [label, root] of Object.entries(trees)) {
  const { createClient } = await import(pathToFileURL(`${root}/dist/mod.js`).href);
  const client = createClient({ clientId: "bench", clientSecret: "bench-secret" });
  cases[`${label} fetch`] = () => client.fetch("/orders").then((r: Response) => r.text());
  cases[`${label} get`] = () => client.get("/orders");
}
const N = Number(process.env.BENCH_N ?? 5_000);
const node: Record<string, number[]> = {};
for (const run of Object.values(cases)) for (let i = 0; i < 500; i++) await run();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const start = performance.now();
    for (let i = 0; i < N; i++) await run();
    (node[name] ??= []).push(((performance.now() - start) / N) * 1e6);
  }
}
report("Node", node, "raw fetch", "raw fetch + timeout signal");
if (process.env.NODE_ONLY) process.exit(0);

const workers: Record<string, Miniflare> = {};
for (const [label, root] of Object.entries(trees)) {
  // This checkout's in-process Worker, on each checkout's client (`../mod.ts` resolved in `root`).
  const script = (await build({
    entryPoints: [new URL("inprocess_worker.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    write: false,
    logLevel: "silent",
    plugins: [{
      name: "client-of",
      setup: (b) => b.onResolve({ filter: /^\.\.\/mod\.ts$/ }, () => ({ path: `${root}/mod.ts` })),
    }],
  })).outputFiles[0]!.text;
  workers[label] = new Miniflare({ modules: true, script, compatibilityDate: "2026-04-01" });
}
const workerd: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, mf] of Object.entries(workers)) {
    const result = await (await mf.dispatchFetch("http://bench/?n=4000")).json() as Record<string, number>;
    for (const [name, ns] of Object.entries(result)) {
      const key = name.startsWith("@rapidata/fetch ") ? `${label} ${name.slice(16)}` : name;
      if (!name.includes("timeout: false")) (workerd[key] ??= []).push(ns);
    }
  }
}
for (const mf of Object.values(workers)) await mf.dispose();
report("workerd", workerd, "raw fetch (ready Response)", "raw fetch + 30 s timeout signal");

function report(where: string, results: Record<string, number[]>, raw: string, signal: string): void {
  const signalNs = median(results[signal]!);
  console.log(`\n${where} (medians of ${ROUNDS} rounds)`);
  for (const [name, values] of Object.entries(results)) {
    const ns = median(values);
    const own = name === raw || name === signal ? "" : `  own cost +${((ns - signalNs) / 1000).toFixed(1)} µs`;
    console.log(
      `  ${name.padEnd(34)} ${ns.toFixed(0).padStart(7)} ns ${own} (raw: +${
        ((ns - median(results[raw]!)) / 1000).toFixed(1)
      } µs)`,
    );
  }
}
