/**
 * The one place the behaviour suite touches its runner. Each runtime's entry (test/runtimes/*) puts
 * its test functions and the stand-in's URLs on `globalThis.rapidataHarness` before the suite loads,
 * so the suite itself is the same source on Node, workerd, Deno and Bun. Assertions come from
 * node:assert/strict, which every one of them has.
 */

type Body = () => void | Promise<void>;

export interface Harness {
  describe(name: string, body: () => void): void;
  it(name: string, body: Body): void;
  beforeAll(body: Body): void;
  afterAll(body: Body): void;
  /** Base URL of the stand-in (API and auth on one loopback origin). */
  standInUrl: string;
  /** Another loopback origin serving the same stand-in: a host that must never see our token. */
  otherOriginUrl: string;
  /** Which runtime runs the suite. */
  runtime: "node" | "workerd" | "deno" | "bun" | "edge";
  /** The runtime's own inspection (Deno.inspect on Deno, node:util's elsewhere), for leak scans. */
  inspect(value: unknown): string;
}

const harness = (globalThis as { rapidataHarness?: Harness }).rapidataHarness;
if (!harness) throw new Error("run the suite through a runtime entry in test/runtimes/");

export const { describe, it, beforeAll, afterAll, standInUrl, otherOriginUrl, runtime, inspect } = harness;
