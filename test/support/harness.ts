/**
 * The one place the behaviour suite touches its runner: test functions and where the stand-in is.
 * Assertions come from node:assert/strict, which every runtime we test has.
 */
import { inject } from "vitest";

export { afterAll, beforeAll, describe, it } from "vitest";

/** Base URL of the stand-in (API and auth on one loopback origin). */
export const standInUrl: string = inject("standInUrl");
/** Another loopback origin serving the same stand-in: a host that must never see our token. */
export const otherOriginUrl: string = inject("otherOriginUrl");
