/**
 * `denoKvStore(kv)`: tokens shared through Deno KV (Deno Deploy: every isolate and region). Writes
 * use an atomic check, so isolates that fetched concurrently converge on the token written first, and
 * renewals take a lease (an atomic add): one isolate fetches a token for a credential set at a time.
 *
 * @module
 */

import { customStore, type RapidataTokenStore } from "./seal.ts";

type KvKey = readonly string[];

/** The part of a `Deno.Kv` this store uses. */
export interface DenoKvLike {
  get(key: KvKey): Promise<{ value: unknown; versionstamp: string | null }>;
  atomic(): {
    check(...checks: { key: KvKey; versionstamp: string | null }[]): unknown;
    set(key: KvKey, value: unknown, options?: { expireIn?: number }): unknown;
    commit(): Promise<{ ok: boolean }>;
  };
  delete(key: KvKey): Promise<void>;
}

/**
 * A token store on Deno KV.
 *
 * @example
 * ```ts
 * import { createClient, denoKvStore } from "@rapidata/fetch";
 * // const kv = await Deno.openKv();
 * declare const kv: import("@rapidata/fetch").DenoKvLike;
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", store: denoKvStore(kv) });
 * ```
 */
export function denoKvStore(kv: DenoKvLike): RapidataTokenStore {
  if (typeof kv?.get !== "function" || typeof kv.atomic !== "function") {
    throw new TypeError("denoKvStore: expected a Deno.Kv (await Deno.openKv())");
  }
  const path = (key: string): KvKey => ["@rapidata/fetch", key];
  return customStore({
    get: async (key) => {
      const { value } = await kv.get(path(key));
      return typeof value === "string" ? value : undefined;
    },
    set: async (key, value, ttl) => {
      // Write only over what we would have read as stale or missing: the first fresh write wins.
      const seen = await kv.get(path(key));
      const atomic = kv.atomic();
      atomic.check({ key: path(key), versionstamp: seen.versionstamp });
      atomic.set(path(key), value, { expireIn: ttl * 1000 });
      await atomic.commit();
    },
    delete: (key) => kv.delete(path(key)),
    // The renewal lease: set only where nothing is (an atomic check for "no entry").
    add: async (key, value, ms) => {
      const atomic = kv.atomic();
      atomic.check({ key: path(key), versionstamp: null });
      atomic.set(path(key), value, { expireIn: ms });
      return (await atomic.commit()).ok;
    },
  });
}
