/**
 * Tenant churn: does the token cache give memory back once tenants go away? In a child Node process
 * started with --expose-gc: heapUsed baseline (after gc), then 20,000 clients with distinct secrets each
 * get a token (an in-process `fetch` answers token requests at once, 1-second tokens, ~600-byte
 * tokens), references are dropped, we wait until every token has expired, ONE more `accessToken()` on a
 * new tenant (entries are swept when new ones are made, at most once a second), gc twice, heapUsed
 * again; then a second batch the same way. Goal: within 2 MB of the baseline after each batch.
 *
 * Used by `npm run bench`; standalone: `npx tsx bench/churn.ts` (after `npm run -s build`: it measures dist/).
 */
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { createClient } from "../dist/mod.js";
// Internal, for the entry count only: the one cache every client of this process uses.
import { defaultCache } from "../dist/src/token/cache.js";

export const TENANTS = Number(process.env.CHURN_TENANTS ?? 20_000);
export const BATCHES = Number(process.env.CHURN_BATCHES ?? 2);
export const GOAL_MB = 2;
/** Tenants of the warm-up cycle before the baseline. */
export const WARMUP = 1_000;

export interface ChurnResult {
  /** heapUsed after gc, after a warm-up churn cycle of WARMUP tenants. */
  baselineMB: number;
  /** heapUsed after gc with one tenant only (before the warm-up). */
  coldBaselineMB: number;
  batches: {
    /** heapUsed over the baseline after gc with the batch's entries still cached (before the sweep). */
    heldMB: number;
    /** Entries in the cache at that point (the sweeps during the batch already dropped some). */
    heldEntries: number;
    /** Entries after the sweep. */
    afterEntries: number;
    /** heapUsed over the baseline after expiry, one more tenant (the sweep) and gc twice. */
    afterMB: number;
    /** The same over the cold baseline. */
    afterColdMB: number;
    /** Milliseconds to create the batch's clients and get their tokens. */
    ms: number;
  }[];
}

const MB = 1024 * 1024;

/** The child's side: runs the batches and prints a ChurnResult as one JSON line. */
async function child(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("bench/churn.ts: the child needs --expose-gc");
  const collect = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let next = 0;
  /** A tenant with its own secret; its token endpoint answers in-process, instantly. */
  const tenant = () => {
    const i = next++;
    return createClient({
      clientId: `tenant-${i}`,
      clientSecret: `secret-${i}-${Math.random().toString(36).slice(2)}`,
      fetch: () =>
        Promise.resolve(
          Response.json({ access_token: "t-" + i + "-" + "x".repeat(600), token_type: "Bearer", expires_in: 1 }),
        ),
    });
  };
  /** Creates `count` tenants and gets each a token, 1,000 at a time; returns them. */
  const createBatch = async (count: number) => {
    const clients: ReturnType<typeof tenant>[] = [];
    for (let i = 0; i < count; i += 1_000) {
      const chunk = Array.from({ length: Math.min(1_000, count - i) }, tenant);
      await Promise.all(chunk.map((c) => c.accessToken()));
      clients.push(...chunk);
    }
    return clients;
  };
  /** Waits until every token has expired and the sweep is due, then makes one new tenant (the sweep). */
  const expireAndSweep = async () => {
    await sleep(1_500);
    await tenant().accessToken();
  };
  // The cold baseline: one tenant, so the modules are loaded and the code path has run once.
  await tenant().accessToken();
  const cold = collect();
  // Warm-up: one small churn cycle (WARMUP tenants, expired, swept), so that the one-time cost of the
  // code path (about 4 MB on Node 20 in runs without it, the same for 2,000 or 80,000 tenants) is in
  // the baseline rather than counted as memory the cache keeps.
  await createBatch(WARMUP);
  await expireAndSweep();
  const baseline = collect();
  const result: ChurnResult = { baselineMB: baseline / MB, coldBaselineMB: cold / MB, batches: [] };
  for (let batch = 0; batch < BATCHES; batch++) {
    const started = performance.now();
    // deno-lint-ignore no-unused-vars -- held on purpose, then dropped below
    let clients: ReturnType<typeof tenant>[] | undefined = await createBatch(TENANTS);
    const ms = performance.now() - started;
    clients = undefined; // drop every reference to the batch's clients
    // A gc in the same turn still finds the batch reachable from the settled promises of its last
    // chunk (measured: 76 MB "held" for 20,000 tenants, 15 MB one macrotask later): let the turn end.
    await sleep(50);
    const held = collect();
    const heldEntries = defaultCache.size;
    await expireAndSweep(); // > 1 s: every token has expired; one new tenant's entry sweeps them
    const after = collect();
    result.batches.push({
      heldMB: (held - baseline) / MB,
      heldEntries,
      afterEntries: defaultCache.size,
      afterMB: (after - baseline) / MB,
      afterColdMB: (after - cold) / MB,
      ms,
    });
  }
  console.log(JSON.stringify(result));
}

/** Runs the measurement in a child `node --expose-gc` process; returns the data and a markdown table. */
export async function tenantChurn(): Promise<{ result: ChurnResult; table: string }> {
  const proc = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", new URL(import.meta.url).pathname, "--churn-child"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => out += chunk);
  const code: number | null = await new Promise((resolve) => proc.on("close", resolve));
  if (code !== 0) throw new Error(`bench/churn.ts: the child exited with ${code}`);
  const result = JSON.parse(out.trim().split("\n").pop()!) as ChurnResult;
  const table = [
    "| after | over baseline before the last sweep (entries) | over baseline after expiry + sweep (entries) | goal (≤ 2 MB) | over cold baseline after sweep | create + token, ms |",
    "|---|---|---|---|---|---|",
    ...result.batches.map((b, i) =>
      `| batch ${i + 1} (${((i + 1) * TENANTS).toLocaleString("en-US")} tenants in all) | ${
        b.heldMB.toFixed(2)
      } MB (${b.heldEntries}) | ${b.afterMB.toFixed(2)} MB (${b.afterEntries}) | ${
        Math.abs(b.afterMB) <= GOAL_MB ? "met" : "not met"
      } | ${b.afterColdMB.toFixed(2)} MB | ${b.ms.toFixed(0)} |`
    ),
  ].join("\n");
  const last = result.batches.at(-1)!;
  const perEntry = last.heldEntries > 0 ? (last.heldMB * MB) / last.heldEntries / 1024 : NaN;
  const note = `Baseline heapUsed (after gc): ${result.baselineMB.toFixed(2)} MB, measured after one warm-up churn ` +
    `cycle of ${WARMUP.toLocaleString("en-US")} tenants (so that the code path's one-time cost is not counted as ` +
    `memory kept); the cold baseline (one tenant only) was ${result.coldBaselineMB.toFixed(2)} MB, and the last ` +
    `column compares with it. "Before the last sweep" is after gc with the batch's clients dropped: the entries ` +
    `left from the batch's last second, about ${perEntry.toFixed(1)} KB each (a ~600-byte token, its key and ` +
    `times).`;
  return { result, table: `${table}\n\n${note}` };
}

if (process.argv.includes("--churn-child")) {
  await child();
  process.exit(0);
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { table } = await tenantChurn();
  console.log(table);
  process.exit(0);
}
