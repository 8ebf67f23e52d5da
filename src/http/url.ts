/**
 * URLs: resolving a path against the API base, and serialising query objects.
 *
 * @module
 */

/** A single query value; `null` and `undefined` are skipped. */
export type QueryValue = string | number | boolean | bigint | null | undefined;

/**
 * Query parameters for the JSON helpers. Arrays become repeated keys (`?id=1&id=2`);
 * `null` / `undefined` values are left out. A `URLSearchParams` is used as is.
 */
export type Query = Record<string, QueryValue | readonly QueryValue[]> | URLSearchParams;

const SCALARS = ["string", "number", "boolean", "bigint"];

/** Appends `query` to `url.search` (after any query the path already had). @internal */
export function appendQuery(url: URL, query: Query | undefined): void {
  if (query === undefined) return;
  if (query === null || typeof query !== "object") throw new TypeError(`"query" must be an object`);
  for (const [key, raw] of query instanceof URLSearchParams ? query : Object.entries(query)) {
    for (const value of [raw].flat()) { // a value, or each value of an array
      if (value === undefined || value === null) continue;
      if (!SCALARS.includes(typeof value)) {
        throw new TypeError(`"query.${key}" must be a ${SCALARS.join(", ")} or an array of them`);
      }
      url.searchParams.append(key, String(value));
    }
  }
}

/**
 * Resolves a path or URL string to a URL: strings starting with `/` are appended to the API base (which
 * may carry a path prefix), other strings must be absolute URLs. @internal
 */
export function resolveUrl(input: unknown, apiBase: string): URL {
  if (typeof input === "string") {
    if (input.startsWith("/") && !input.startsWith("//")) return new URL(apiBase + input);
    try {
      return new URL(input);
    } catch { /* reported below */ }
  }
  throw new TypeError(`input must be a path starting with "/" or an absolute URL`);
}
