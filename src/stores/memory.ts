/**
 * `memoryStore()`: a shared store in this isolate's memory. Useful to share tokens between clients
 * with different options, in tests, and as the smallest example of a store.
 *
 * @module
 */

import { customStore, type RapidataTokenStore } from "./seal.ts";

/**
 * A token store kept in memory (sealed like any other store), with expiry.
 *
 * @example
 * ```ts
 * import { createClient, memoryStore } from "@rapidata/fetch";
 * const store = memoryStore();
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", store });
 * ```
 */
export function memoryStore(): RapidataTokenStore {
  const values = new Map<string, { value: string; until: number }>();
  return customStore({
    get: (key) => {
      const entry = values.get(key);
      return Promise.resolve(entry && Date.now() < entry.until ? entry.value : undefined);
    },
    set: (key, value, ttl) => {
      values.set(key, { value, until: Date.now() + ttl * 1000 });
      return Promise.resolve();
    },
    delete: (key) => {
      values.delete(key);
      return Promise.resolve();
    },
  });
}
