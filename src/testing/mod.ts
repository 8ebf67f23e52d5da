/**
 * `@rapidata/fetch/testing`: a local stand-in of Rapidata's identity server and API for your tests.
 * It is a plain fetch handler: use it as a client's `fetch` option, or serve it on loopback.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { createStandIn } from "@rapidata/fetch/testing";
 *
 * const standIn = createStandIn();
 * const { clientId, clientSecret } = standIn.addClient();
 * const rapidata = createClient({ clientId, clientSecret, fetch: standIn.fetch });
 * console.log(await rapidata.get("/orders"));
 * ```
 *
 * @module
 */

export { createStandIn, type StandIn, type StandInClient, type StandInOptions, type StandInStats } from "./stand_in.ts";
export type { Fault, FaultPlan } from "./faults.ts";
export type { BridgeStats } from "./bridge.ts";
export { decodeJwt } from "./jwt.ts";
export { PAGED_SIZES, type ProgressScript, type ProgressStats, type StoredAsset } from "./workflows.ts";
