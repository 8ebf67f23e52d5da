/**
 * `@rapidata/fetch` for workerd (Cloudflare Workers, wrangler, Miniflare), chosen by the `workerd`
 * export condition: the same API as the main entry, except that {@link createClient} and
 * {@link fromEnv} keep background token renewals alive with workerd's own `waitUntil` (from
 * `cloudflare:workers`), so a call need not pass `ctx.waitUntil`. A per-call `waitUntil` still wins.
 *
 * @example
 * ```ts
 * import { fromEnv } from "@rapidata/fetch"; // wrangler resolves this file through the "workerd" condition
 *
 * export default {
 *   async fetch(_request: Request, env: Record<string, string>): Promise<Response> {
 *     return Response.json(await fromEnv(env).get("/orders"));
 *   },
 * };
 * ```
 *
 * @module
 */

import { waitUntil } from "cloudflare:workers";
import { type ClientOptions, createRuntimeClient, type RapidataClient } from "./src/client.ts";
import { envOptions, type EnvSource } from "./src/env.ts";

export * from "./mod.ts";

const runtime = { waitUntil };

/**
 * Creates a Rapidata API client whose background renewals workerd keeps alive (see the main entry's
 * `createClient` for the options).
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 *
 * const rapidata = createClient({ clientId: "my-id", clientSecret: "my-secret" });
 * const orders = await rapidata.get("/orders", { query: { page: 1 } });
 * ```
 */
export function createClient(options: ClientOptions): RapidataClient {
  return createRuntimeClient(options, runtime);
}

/**
 * A client from `RAPIDATA_CLIENT_ID`, `RAPIDATA_CLIENT_SECRET` and `RAPIDATA_ENVIRONMENT` in `env` (see
 * the main entry's `fromEnv`), whose background renewals workerd keeps alive.
 *
 * @example
 * ```ts
 * import { fromEnv } from "@rapidata/fetch";
 *
 * export default {
 *   async fetch(_request: Request, env: Record<string, string>): Promise<Response> {
 *     return Response.json(await fromEnv(env).get("/orders"));
 *   },
 * };
 * ```
 */
export function fromEnv(env?: EnvSource, options: Omit<ClientOptions, "token" | "expiresAt"> = {}): RapidataClient {
  return createRuntimeClient(envOptions(env, options), runtime);
}
