/**
 * `workersKvStore(namespace)`: tokens shared by every isolate and location of a Worker through
 * Workers KV.
 *
 * KV is eventually consistent: a token written in one location may take up to about 60 seconds to be
 * visible in others, which then fetch their own meanwhile. KV also refuses an `expirationTtl` under
 * 60 seconds; shorter-lived entries are stored for 60 seconds and the sealed expiry inside them
 * decides (a stale entry is a miss).
 *
 * @module
 */

import { customStore, type RapidataTokenStore } from "./seal.ts";

/** The part of a Workers `KVNamespace` this store uses. */
export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * A token store on a Workers KV namespace.
 *
 * @example
 * ```ts
 * import { createClient, workersKvStore } from "@rapidata/fetch";
 * import type { KVNamespaceLike } from "@rapidata/fetch";
 *
 * export default {
 *   async fetch(_request: Request, env: { TOKENS: KVNamespaceLike; ID: string; SECRET: string }) {
 *     const rapidata = createClient({ clientId: env.ID, clientSecret: env.SECRET, store: workersKvStore(env.TOKENS) });
 *     return Response.json(await rapidata.get("/orders"));
 *   },
 * };
 * ```
 */
export function workersKvStore(namespace: KVNamespaceLike): RapidataTokenStore {
  if (typeof namespace?.get !== "function" || typeof namespace.put !== "function") {
    throw new TypeError("workersKvStore: expected a KV namespace binding (env.<BINDING>)");
  }
  return customStore({
    get: (key) => namespace.get(key),
    set: (key, value, ttl) => namespace.put(key, value, { expirationTtl: Math.max(60, ttl) }),
    delete: (key) => namespace.delete(key),
  });
}
