/**
 * Vercel's Edge runtime (EdgeVM): the behaviour suite's harness inside the VM. The driver
 * (scripts/edge_test.ts) bundles this with the suite and sets `__edgeConfig` (the stand-in's URLs);
 * the run's results go to `__edgeDone`.
 */
import type { Harness } from "../../support/harness.ts";

type Body = () => void | Promise<void>;
const config = (globalThis as unknown as { __edgeConfig: { standInUrl: string; otherOriginUrl: string } }).__edgeConfig;
const tests: { name: string; body: Body; before: Body[]; after: Body[] }[] = [];
const path: string[] = [];
const befores: Body[][] = [[]];
const afters: Body[][] = [[]];

const harness: Harness = {
  describe(name, body) {
    path.push(name);
    befores.push([]);
    afters.push([]);
    body();
    const before = befores.pop()!;
    const after = afters.pop()!;
    path.pop();
    // The group's hooks run once, around its first and after its last test.
    const group = tests.filter((test) => test.name.startsWith(`${[...path, name].join(" > ")} > `));
    if (group.length > 0) {
      group[0]!.before.unshift(...before);
      group.at(-1)!.after.push(...after);
    }
  },
  it(name, body) {
    tests.push({ name: [...path, name].join(" > "), body, before: [], after: [] });
  },
  beforeAll: (body) => void befores.at(-1)!.push(body),
  afterAll: (body) => void afters.at(-1)!.push(body),
  standInUrl: config.standInUrl,
  otherOriginUrl: config.otherOriginUrl,
  runtime: "edge",
  inspect: (value) => {
    try {
      return `${JSON.stringify(value)} ${String(value)}`;
    } catch {
      return String(value);
    }
  },
};
(globalThis as { rapidataHarness?: Harness }).rapidataHarness = harness;

/** Runs every collected test in order, each bounded by 30 s; reports `{ name, error? }` per test. */
(globalThis as unknown as { __edgeRun: () => Promise<{ name: string; error?: string }[]> }).__edgeRun = async () => {
  await import("../../suite/all.ts");
  const results: { name: string; error?: string }[] = [];
  for (const test of tests) {
    let error: string | undefined;
    try {
      for (const hook of test.before) await hook();
      await Promise.race([
        test.body(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("timed out after 30 s")), 30_000)),
      ]);
    } catch (caught) {
      error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    } finally {
      for (const hook of test.after) await Promise.resolve().then(hook).catch(() => {});
    }
    results.push({ name: test.name, error });
  }
  return results;
};
