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
  current: CachedToken | undefined;
  flight: Flight | undefined;
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

/** Lowercase hex SHA-256 of a string. @internal */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** The cache key of a credential set; the secret only enters as a digest. @internal */
export async function cacheKey(tokenEndpoint: string, clientId: string, clientSecret: string, scope: string) {
  return `${tokenEndpoint}\n${clientId}\n${scope}\n${await sha256Hex(clientSecret)}`;
}

/** Epoch ms at which `token` should be renewed under `leeway` seconds. @internal */
export function renewAt(token: CachedToken, leeway: number): number {
  const margin = Math.min(leeway * 1000, (token.expiresAt - token.issuedAt) / 2);
  return token.expiresAt - margin;
}

function entryFor(key: string): Entry {
  let entry = entries.get(key);
  if (!entry) {
    entry = { current: undefined, flight: undefined };
    entries.set(key, entry);
  }
  return entry;
}

function startFlight(entry: Entry, options: TokenCacheOptions): Flight {
  const promise = options.fetchToken().then(
    (token) => {
      if (entry.flight === flight) entry.flight = undefined;
      if (!entry.current || entry.current.expiresAt <= token.expiresAt) entry.current = token;
      return token;
    },
    (error: unknown) => {
      if (entry.flight === flight) entry.flight = undefined;
      throw error;
    },
  );
  // Callers that gave up (abort, stall) leave nobody listening; a rejection must not be "unhandled".
  promise.catch(() => {});
  const flight: Flight = { promise, startedAt: Date.now() };
  entry.flight = flight;
  return flight;
}

function waitFor(flight: Flight, stallAfter: number, signal?: AbortSignal): Promise<CachedToken | typeof STALLED> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      reject(signal!.reason);
    };
    const remaining = Math.max(0, flight.startedAt + stallAfter - Date.now());
    const timer = setTimeout(() => {
      done();
      resolve(STALLED);
    }, remaining);
    signal?.addEventListener("abort", onAbort, { once: true });
    flight.promise.then(
      (token) => {
        done();
        resolve(token);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/**
 * Returns a fresh token for `options.key`: the cached one while it is fresh, else the result of the
 * one flight in progress (started here if there is none). `signal` stops this caller's wait only;
 * the flight goes on for the others. @internal
 */
export async function getToken(options: TokenCacheOptions, signal?: AbortSignal): Promise<CachedToken> {
  const entry = entryFor(options.key);
  const current = entry.current;
  if (current && options.now() < renewAt(current, options.leeway)) return current;
  signal?.throwIfAborted();
  let flight = entry.flight ?? startFlight(entry, options);
  for (;;) {
    const result = await waitFor(flight, options.stallAfter, signal);
    if (result !== STALLED) return result;
    // The flight's owner is gone (or the server is slower than the stall bound): take over.
    if (entry.flight === flight) entry.flight = undefined;
    flight = entry.flight ?? startFlight(entry, options);
  }
}

/** Drops `token` from the cache if it is still the cached one (after the API rejected it). @internal */
export function invalidateToken(key: string, token: string): void {
  const entry = entries.get(key);
  if (entry?.current?.token === token) entry.current = undefined;
}
