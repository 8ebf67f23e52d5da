/**
 * The in-memory token cache shared by every client of one isolate / process.
 *
 * - Entries are keyed by (token endpoint, client id, SHA-256 of the secret, scope): see {@link cacheKey}.
 * - A token is reused until `leeway` seconds before it expires; the margin is capped at half the
 *   token's lifetime so that short-lived tokens are still reused.
 * - Single flight: concurrent callers on a cold or expiring entry share one token request.
 * - Workers-safe: a caller never waits on another request's token fetch once it stops making progress
 *   (an attempt running longer than the stall bound, or a retry's backoff running past its end). In
 *   workerd a promise whose I/O belongs to a request that has ended never settles; a caller that
 *   joined such a flight notices the stall with its own timer and starts a fresh flight.
 * - A failed fetch is not cached: the next call tries again. A failed renewal of a still-valid token
 *   keeps the cached token in use (outage grace).
 *
 * @module
 */

import { ELAPSED, race } from "./deadline.ts";
import { RapidataError } from "./errors.ts";
import type { RapidataEvent } from "./retry.ts";

/** A token as the cache keeps it; times are epoch milliseconds. @internal */
export interface CachedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Set on a token that came from a shared store rather than the token endpoint. */
  readonly stored?: boolean;
}

/** Epoch ms at which `token` is renewed: `leeway` s before expiry, but not before half its lifetime. @internal */
export function renewAt(token: CachedToken, leeway: number): number {
  return token.expiresAt - Math.min(leeway * 1000, (token.expiresAt - token.issuedAt) / 2);
}

interface Flight {
  readonly promise: Promise<CachedToken>;
  /** Date.now() by which the flight will have settled or shown progress, if its owner lives. */
  expectBy: number;
}

interface Entry {
  current?: CachedToken;
  flight?: Flight;
  /** After a failed renewal (grace), no new attempt before this time (options.now() clock). */
  retryAt?: number;
}

/** What the cache needs from a client. @internal */
export interface TokenCacheOptions {
  /** Cache key from {@link cacheKey}. */
  readonly key: string;
  /** Seconds before expiry at which a token is renewed. */
  readonly leeway: number;
  /** The clock, epoch milliseconds. */
  readonly now: () => number;
  /** Milliseconds without progress after which a caller stops waiting for someone else's flight. */
  readonly stallAfter: number;
  /**
   * Fetches a new token; `issuedAt`/`expiresAt` come from the same clock. `renewing` is the cached token
   * while it is still valid (the fetcher may then give up sooner, and must not hand it back). Before a deliberate wait (a
   * retry's backoff) the fetcher calls `waiting(ms)` so that joined callers keep waiting.
   */
  readonly fetchToken: (renewing: CachedToken | undefined, waiting: (ms: number) => void) => Promise<CachedToken>;
  /** Reports each token fetched and each failed renewal that falls back on the cached token (grace). */
  readonly emit: (event: RapidataEvent) => void;
}

const entries = new Map<string, Entry>();

/** The cache key of a credential set; the secret only enters as a SHA-256 digest. @internal */
export async function cacheKey(tokenEndpoint: string, clientId: string, clientSecret: string, scope: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(clientSecret));
  return `${tokenEndpoint}\n${clientId}\n${scope}\n${new Uint8Array(digest)}`; // the digest as "12,345,…"
}

function startFlight(entry: Entry, options: TokenCacheOptions, renewing: CachedToken | undefined): Flight {
  const waiting = (ms: number) => flight.expectBy = Date.now() + ms + options.stallAfter;
  const promise = options.fetchToken(renewing, waiting).then((token) => {
    const expiresIn = Math.round((token.expiresAt - options.now()) / 1000);
    options.emit({ type: "token", renewal: !!renewing, expiresIn, stored: !!token.stored });
    if (!entry.current || entry.current.expiresAt <= token.expiresAt) entry.current = token;
    entry.retryAt = undefined;
    return token;
  });
  const flight: Flight = { promise, expectBy: Date.now() + options.stallAfter };
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
 * if it is still the cached one.
 *
 * Outage grace: if renewing fails while the cached token is still valid, the cached token is returned
 * and no new renewal starts for a while (a quarter of its remaining life, at most 15 s). With
 * `waitUntil` (Workers' `ctx.waitUntil`), a renewal inside the leeway window runs in the background and
 * the caller gets the still-valid token at once. @internal
 */
export async function getToken(
  options: TokenCacheOptions,
  signal?: AbortSignal,
  rejected?: string,
  waitUntil?: (promise: Promise<unknown>) => void,
): Promise<CachedToken> {
  let entry = entries.get(options.key);
  if (!entry) entries.set(options.key, entry = {});
  if (entry.current?.token === rejected) entry.current = undefined;
  const current = entry.current;
  const now = options.now();
  const valid = current !== undefined && now < current.expiresAt;
  if (valid && (now < renewAt(current, options.leeway) || now < (entry.retryAt ?? 0))) return current;
  signal?.throwIfAborted();
  // A caller waits on its own flight until it settles (its timeout bounds it); only a flight started
  // by someone else is watched for stalls, since its owner may be gone.
  let owned = !entry.flight;
  let flight = entry.flight ?? startFlight(entry, options, valid ? current : undefined);
  // Renewal in the background: the still-valid token now, the renewal kept alive by `waitUntil`.
  if (valid && waitUntil) return waitUntil(flight.promise.catch(() => {})), current;
  for (;;) {
    try {
      const patience = owned ? 2 ** 31 - 1 : flight.expectBy - Date.now();
      return await race(patience, () => ELAPSED, signal, () => flight.promise, true);
    } catch (error) {
      if (error !== ELAPSED) { // failed, not just slow
        const later = options.now();
        if (!valid || signal?.aborted || later >= current.expiresAt) throw error;
        const remaining = current.expiresAt - later;
        entry.retryAt = later + Math.min(15_000, remaining / 4);
        options.emit({
          type: "grace",
          expiresIn: Math.round(remaining / 1000),
          code: error instanceof RapidataError ? error.code : "ERR_NETWORK",
          status: (error as { status?: number }).status,
        });
        return current;
      }
    }
    // Still making progress: keep waiting. Otherwise its owner is gone (or the server is slower than
    // the stall bound): take over.
    if (Date.now() < flight.expectBy) continue;
    if (entry.flight === flight) entry.flight = undefined;
    owned = !entry.flight;
    flight = entry.flight ?? startFlight(entry, options, valid ? current : undefined);
  }
}
