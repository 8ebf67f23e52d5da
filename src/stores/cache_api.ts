/**
 * `cacheApiStore(cache?)`: tokens shared by the isolates of one Cloudflare location through the
 * Workers Cache API (`caches.default` or a named cache). No binding needed; each location keeps its
 * own copy.
 *
 * @module
 */

import { customStore, type RapidataTokenStore } from "./seal.ts";

/** The part of a Workers `Cache` this store uses. */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string): Promise<boolean>;
}

/** Cache entries live under this never-resolving host, one URL per store key. */
const url = (key: string) => `https://rapidata-fetch.invalid/token/${encodeURIComponent(key)}`;

/**
 * A token store on the Workers Cache API; `cache` defaults to `caches.default`.
 *
 * @example
 * ```ts
 * import { cacheApiStore, createClient } from "@rapidata/fetch";
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", store: cacheApiStore() });
 * ```
 */
export function cacheApiStore(cache?: CacheLike): RapidataTokenStore {
  const resolve = () => {
    const chosen = cache ?? (globalThis as { caches?: { default?: CacheLike } }).caches?.default;
    if (typeof chosen?.match !== "function") {
      throw new TypeError("cacheApiStore: expected a Cache (or caches.default on Workers)");
    }
    return chosen;
  };
  if (cache !== undefined) resolve();
  return customStore({
    get: async (key) => (await resolve().match(url(key)))?.text(),
    set: (key, value, ttl) =>
      resolve().put(url(key), new Response(value, { headers: { "cache-control": `max-age=${ttl}` } })),
    delete: async (key) => void await resolve().delete(url(key)),
  });
}
