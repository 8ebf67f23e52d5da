/** vitest (Node and workerd): the harness for the behaviour suite. */
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import { inspect } from "node:util";
import type { Harness } from "../support/harness.ts";

declare module "vitest" {
  export interface ProvidedContext {
    standInUrl: string;
    otherOriginUrl: string;
  }
}

const harness: Harness = {
  describe,
  it: (name, body) => it(name, body, 30_000),
  beforeAll,
  afterAll,
  standInUrl: inject("standInUrl"),
  otherOriginUrl: inject("otherOriginUrl"),
  runtime: typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers" ? "workerd" : "node",
  inspect: (value) => inspect(value, { depth: 10, showHidden: true }),
};
(globalThis as { rapidataHarness?: Harness }).rapidataHarness = harness;
