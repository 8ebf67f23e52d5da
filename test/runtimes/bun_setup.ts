/** Bun: the stand-in served by Bun.serve on loopback, bun:test as the runner. */
import { afterAll, beforeAll, describe, it } from "bun:test";
import { createStandIn } from "../../src/testing/mod.ts";
import { inspect } from "node:util";
import type { Harness } from "../support/harness.ts";

declare const Bun: {
  serve(options: { hostname: string; port: number; fetch(request: Request): Promise<Response> }): {
    port: number;
    unref(): void;
  };
};

const standIn = createStandIn();
const servers = [0, 1].map(() => Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: standIn.fetch }));
for (const server of servers) server.unref();

const harness: Harness = {
  describe,
  it: (name, body) => it(name, async () => await body(), 30_000),
  beforeAll,
  afterAll,
  standInUrl: `http://127.0.0.1:${servers[0]!.port}`,
  otherOriginUrl: `http://127.0.0.1:${servers[1]!.port}`,
  runtime: "bun",
  inspect: (value) => inspect(value, { depth: 10, showHidden: true }),
};
(globalThis as { rapidataHarness?: Harness }).rapidataHarness = harness;
