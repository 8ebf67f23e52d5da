/**
 * The in-memory token cache shared by every client of one isolate / process.
 *
 * - Entries are keyed by (token endpoint, client id, SHA-256 of the secret, scope): see {@link cacheKey}.
 * - A token is reused until `leeway` seconds before it expires; the margin is capped at half the
 *   token's lifetime so that short-lived tokens are still reused.
 * - Single flight: concurrent callers on a cold or expiring entry share one token request.
 * - Workers-safe: a caller never waits on another request's token fetch for longer than the stall
 *   bound. In workerd a promise whose I/O belongs to a request that has ended never settles; a caller
 *   that joined such a flight notices the stall with its own timer and starts a fresh flight.
 * - A failed fetch is not cached: the next call tries again.
 *
 * @module
 */

import { race } from "./deadline.ts";

/** A token as the cache keeps it; times are epoch milliseconds. @internal */
export interface CachedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

interface Flight {
  readonly promise: Promise<CachedToken>;
  readonly startedAt: number;
}

interface Entry {
  current?: CachedToken;
  flight?: Flight;
}

/** What the cache needs from a client. @internal */
export interface TokenCacheOptions {
  /** Cache key from {@link cacheKey}. */
  readonly key: string;
  /** Seconds before expiry at which a token is renewed. */
  readonly leeway: number;
  /** The clock, epoch milliseconds. */
  readonly now: () => number;
  /** Milliseconds after which a caller stops waiting for someone else's flight and starts its own. */
  readonly stallAfter: number;
  /** Fetches a new token; `issuedAt`/`expiresAt` are computed by the fetcher with the same clock. */
  readonly fetchToken: () => Promise<CachedToken>;
}

const entries = new Map<string, Entry>();
const STALLED = Symbol("stalled");

/** The cache key of a credential set; the secret only enters as a SHA-256 digest. @internal */
export async function cacheKey(tokenEndpoint: string, clientId: string, clientSecret: string, scope: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(clientSecret));
  return `${tokenEndpoint}\n${clientId}\n${scope}\n${btoa(String.fromCharCode(...new Uint8Array(digest)))}`;
}

function startFlight(entry: Entry, options: TokenCacheOptions): Flight {
  const promise = options.fetchToken().then((token) => {
    if (!entry.current || entry.current.expiresAt <= token.expiresAt) entry.current = token;
    return token;
  });
  const flight: Flight = { promise, startedAt: Date.now() };
  // Landing (either way) ends the flight. This also handles a rejection that nobody else is
  // listening to (callers that gave up on abort or stall), so it is never "unhandled".
  const land = () => {
    if (entry.flight === flight) entry.flight = undefined;
  };
  promise.then(land, land);
  entry.flight = flight;
  return flight;
}

/**
 * Returns a fresh token for `options.key`: the cached one while it is fresh, else the result of the
 * one flight in progress (started here if there is none). `signal` stops this caller's wait only;
 * the flight goes on for the others. `rejected` is a token the API refused: dropped from the cache
 * if it is still the cached one. @internal
 */
export async function getToken(
  options: TokenCacheOptions,
  signal?: AbortSignal,
  rejected?: string,
): Promise<CachedToken> {
  let entry = entries.get(options.key);
  if (!entry) entries.set(options.key, entry = {});
  if (entry.current?.token === rejected) entry.current = undefined;
  const current = entry.current;
  if (current) {
    // Renew `leeway` seconds before expiry, but no earlier than half-way through the token's lifetime.
    const margin = Math.min(options.leeway * 1000, (current.expiresAt - current.issuedAt) / 2);
    if (options.now() < current.expiresAt - margin) return current;
  }
  signal?.throwIfAborted();
  let flight = entry.flight ?? startFlight(entry, options);
  for (;;) {
    try {
      const stallIn = flight.startedAt + options.stallAfter - Date.now();
      return await race(stallIn, () => STALLED, signal, () => flight.promise);
    } catch (error) {
      if (error !== STALLED) throw error;
    }
    // The flight's owner is gone (or the server is slower than the stall bound): take over.
    if (entry.flight === flight) entry.flight = undefined;
    flight = entry.flight ?? startFlight(entry, options);
  }
}
