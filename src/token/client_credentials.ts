/**
 * The client-credentials token source: memory (the {@link TokenCache}), then the shared store, then the
 * token endpoint with retries. The Durable Object broker runs this same source.
 *
 * @module
 */

import type { RapidataAuthError } from "../errors.ts";
import type { Emit } from "../events.ts";
import { type RetryPolicy, sleep, withRetries } from "../http/retry.ts";
import type { RapidataTokenStore } from "../stores/seal.ts";
import {
  type CacheSettings,
  defaultCache,
  type Fetcher,
  type FlightControl,
  renewAt,
  type TokenCache,
} from "./cache.ts";
import type { CachedToken } from "./cache.ts";
import { type GrantSettings, requestToken } from "./grant.ts";
import { audienceCheck, type TokenRequest, type TokenSource, type WaitUntil } from "./source.ts";

/** How often a process that lost the lease looks for the leaseholder's token, in ms. */
const LEASE_POLL = 100;

/** OAuth errors that no retry can fix. */
const FINAL_OAUTH = ["invalid_client", "invalid_scope", "unauthorized_client"];

/** What the source needs (parts of the resolved options). @internal */
export interface CredentialsSettings {
  readonly grant: GrantSettings;
  readonly authUrl: string;
  readonly renewal: { readonly leeway: number; readonly stallAfter: number };
  readonly retry: RetryPolicy;
  readonly emit: Emit;
  readonly store?: RapidataTokenStore;
  readonly waitUntil?: WaitUntil;
  /** The audience the API expects in tokens. */
  readonly audience: string;
}

/** A client-credentials {@link TokenSource} that can also give the token with its times. @internal */
export interface ClientCredentialsSource extends TokenSource {
  /** The token for this call, with its issue and expiry times. */
  cached(request?: TokenRequest): Promise<CachedToken>;
}

/** The cache key of a credential set; the secret only enters as a SHA-256 digest. @internal */
export async function cacheKey(grant: GrantSettings): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(grant.clientSecret));
  return `${grant.tokenEndpoint}\n${grant.clientId}\n${grant.scope}\n${new Uint8Array(digest)}`; // digest as "12,3,…"
}

/**
 * Which token-request failures are retried: network errors, timeouts, 5xx and 429, never an OAuth error
 * that no retry can fix. A renewal is tried once (it has a valid token to fall back on): a failure it
 * would otherwise retry is reported as `cut`, so that a caller without a valid token tries again.
 */
function retryable(control: FlightControl) {
  return (status: number | undefined, transient: boolean, error: unknown) => {
    const retry = transient ||
      ((status! >= 500 || status === 429) && !FINAL_OAUTH.includes((error as RapidataAuthError).error!));
    if (retry && control.renewing) control.cut();
    return retry && !control.renewing;
  };
}

/**
 * Tokens by the client-credentials grant, cached in `cache` (shared by every client of the isolate by
 * default), shared through the store when there is one. @internal
 */
export function clientCredentialsSource(
  settings: CredentialsSettings,
  cache: TokenCache = defaultCache,
): ClientCredentialsSource {
  const { grant, renewal, retry, emit } = settings;
  const { leeway } = renewal;
  const cacheSettings: CacheSettings = { ...renewal, now: grant.now, emit, waitUntil: settings.waitUntil };
  const shared = settings.store?.bind(
    { ...grant, authUrl: settings.authUrl, leeway, retry, freshUntil: (token) => renewAt(token, leeway) },
    grant.now,
    emit,
  );
  const check = audienceCheck(settings.audience, emit);
  /**
   * A new token, marked when it lacks the audience (reported once, by the `audience` event). The mark
   * travels with the token in the cache, which every client of these credentials shares.
   */
  const seen = (token: CachedToken, renewing: CachedToken | undefined): CachedToken => {
    const lacks = token.token === renewing?.token // a broker handing the same token out again: looked at already
      ? renewing.lacksAudience
      : check(token.token, token.scope ?? grant.scope);
    return lacks ? { ...token, lacksAudience: true } : token;
  };
  const fetcher: Fetcher = async (control) => {
    const { renewing } = control;
    let release: (() => Promise<void>) | undefined; // the lease, when this fetch holds one
    if (shared) {
      // A token another isolate stored is as good as a new one, unless it is rejected.
      control.progress(shared.patience);
      const stored = await shared.load(control.isRejected, renewing);
      if (stored) return { token: seen(stored, renewing) };
      // A store with leases: one process fetches at a time (a renewal period, or a cold start).
      const bound = renewal.stallAfter + shared.patience;
      release = shared.lease && await shared.lease(bound);
      if (shared.lease && !release) {
        // Someone else renews: keep the valid token (asked again later), or wait a while for theirs.
        if (renewing) return { token: renewing };
        for (const until = Date.now() + bound; Date.now() < until;) {
          control.progress(LEASE_POLL + shared.patience);
          await sleep(LEASE_POLL, control.signal);
          const theirs = await shared.load(control.isRejected);
          if (theirs) return { token: seen(theirs, undefined) };
        }
        // The leaseholder is gone or slow: the token endpoint, as without a lease.
      } else if (release) {
        // Won: but a holder that just finished may have stored a token between our look and the lease.
        const landed = await shared.load(control.isRejected, renewing);
        if (landed) {
          void release();
          return { token: seen(landed, renewing) };
        }
      }
    }
    let token: CachedToken;
    try {
      token = await withRetries(
        retry,
        "token",
        () => {
          control.progress(0);
          return requestToken(grant, control.signal);
        },
        retryable(control),
        { signal: control.signal, deadline: control.deadline, waiting: control.progress, cut: control.cut },
      );
    } catch (error) {
      void release?.();
      throw error;
    }
    // Landed in memory first; the store write is finished afterwards, then the lease is released (not
    // waited for: nothing depends on it, and a slow store would only slow the owner down).
    const saved = shared?.save(token);
    void saved?.then(release);
    return { token: seen(token, renewing), after: saved };
  };
  // A string once computed: no caller ever awaits a promise another request started (Workers hazard).
  let key: string | undefined;
  const cached = async (request?: TokenRequest) => {
    key ??= await cacheKey(grant);
    return cache.token(key, cacheSettings, fetcher, request);
  };
  return {
    cached,
    token: async (request) => (await cached(request)).token,
    // Valid and not yet due for renewal: nothing to do but hand it out.
    fresh: () => {
      const current = key === undefined ? undefined : cache.peek(key);
      return current && cacheSettings.now() < renewAt(current, cacheSettings.leeway) ? current.token : undefined;
    },
    async rejected(token) {
      key ??= await cacheKey(grant);
      cache.reject(key, token);
      await shared?.reject(token);
    },
    renewable: true,
    lacksAudience: (token) => {
      const current = key === undefined ? undefined : cache.peek(key);
      return current?.token === token && !!current.lacksAudience;
    },
  };
}
