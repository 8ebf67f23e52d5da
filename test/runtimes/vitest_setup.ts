/** vitest (Node and workerd): the harness for the behaviour suite. */
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import type { Harness } from "../support/harness.ts";

declare module "vitest" {
  export interface ProvidedContext {
    standInUrl: string;
    otherOriginUrl: string;
  }
}

const harness: Harness = {
  describe,
  it,
  beforeAll,
  afterAll,
  standInUrl: inject("standInUrl"),
  otherOriginUrl: inject("otherOriginUrl"),
  runtime: typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers" ? "workerd" : "node",
};
(globalThis as { rapidataHarness?: Harness }).rapidataHarness = harness;
