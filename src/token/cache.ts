/**
 * The token cache: an object with one entry per credential set, shared by every client of an isolate
 * that uses the default instance.
 *
 * - **Fresh** until `leeway` seconds before expiry (the margin capped at half the lifetime).
 * - **Background renewal**: in the renewal window every caller gets the still-valid token at once while
 *   one renewal runs. On Workers it is kept alive by the call's `waitUntil`, else the runtime's; one that
 *   vanished anyway (its request ended) is noticed by a later caller, who starts another.
 * - **Single flight**: callers without a valid token share one fetch. Workers-safe: a caller never waits
 *   on someone else's fetch once it stops making progress. In workerd a promise whose I/O belongs to a
 *   request that has ended never settles; each step of a fetch announces how long it may take (a store
 *   read, an attempt, a retry's wait), and a caller that sees no progress by then first takes a token
 *   that landed meanwhile, else takes over with a fresh fetch (which later callers join).
 * - **Outage grace**: a failed renewal keeps the valid token in use and delays the next attempt.
 * - **Revocation**: a token the API rejected is dropped and never handed out again.
 * - **Bounded memory**: an entry goes once its token has expired and no fetch runs (swept when new
 *   entries are made, at most once a second).
 *
 * @module
 */

import { ELAPSED, race } from "../http/deadline.ts";
import { RapidataAuthError, RapidataError } from "../errors.ts";
import type { Emit } from "../events.ts";
import type { TokenRequest, WaitUntil } from "./source.ts";

/** A token as the cache keeps it; times are epoch milliseconds. @internal */
export interface CachedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Set on a token that came from a shared store rather than the token endpoint. */
  readonly stored?: boolean;
  /** The scope the token endpoint says it granted. */
  readonly scope?: string;
  /** Set when the token lacks the audience the API expects (found when it arrived). */
  readonly lacksAudience?: boolean;
}

/** Epoch ms at which `token` is renewed: `leeway` s before expiry, but not before half its lifetime. @internal */
export function renewAt(token: CachedToken, leeway: number): number {
  return token.expiresAt - Math.min(leeway * 1000, (token.expiresAt - token.issuedAt) / 2);
}

/** What a fetch of a token can see and say while it runs. @internal */
export interface FlightControl {
  /** The still-valid token being renewed, or `undefined` when callers are waiting for a token. */
  readonly renewing: CachedToken | undefined;
  /**
   * Announces the next step: it may take `ms` plus one attempt's stall bound. `error` is the failure
   * a retry's wait follows (callers whose deadline ends first leave with it).
   */
  progress(ms: number, error?: unknown): void;
  /** True for a token the API rejected: a store's copy of it is a miss. */
  isRejected(token: string): boolean;
  /** Aborts once no caller waits for this fetch any more (never for a background renewal). */
  readonly signal: AbortSignal;
  /** The deadline (client clock) of the caller that started the fetch. */
  readonly deadline: number | undefined;
  /**
   * Says the fetch stops before trying all it could: only its deadline stopped a retry, or a renewal
   * (tried once) failed with what a retry could fix. A waiting caller with more time then tries itself.
   */
  cut(): void;
}

/** Fetches a token: resolves with it and with work that finishes afterwards (a store write). @internal */
export type Fetcher = (control: FlightControl) => Promise<{ token: CachedToken; after?: Promise<void> }>;

/** What the cache needs from a token source. @internal */
export interface CacheSettings {
  /** Seconds before expiry at which a token is renewed. */
  readonly leeway: number;
  /** Milliseconds an attempt may run before a waiting caller takes over. */
  readonly stallAfter: number;
  /** The client's clock, epoch milliseconds. */
  readonly now: () => number;
  /** Reports tokens fetched and failed renewals that fall back on the cached token. */
  readonly emit: Emit;
  /** The runtime's `waitUntil` (workerd), for background work when the call brings none. */
  readonly waitUntil?: WaitUntil;
}

interface Flight {
  /** Settles when the token is in memory (before any store write), or with the failure. */
  readonly landed: Promise<CachedToken>;
  /** Settles when everything is done, store write included; never rejects. */
  readonly done: Promise<void>;
  /** `Date.now()` by which the fetch will have settled or announced its next step, if its owner lives. */
  expectBy: number;
  /** While a retry waits: the failure it follows. */
  error: unknown;
  /** Callers waiting for this fetch (`Infinity` for a background renewal: it is never cancelled). */
  waiters: number;
  readonly controller: AbortController;
  /** Landed or failed: its signal must not be touched (workerd: it may belong to an ended request). */
  settled: boolean;
  /** The deadline its retries keep to: the owner's; `-Infinity` for a background renewal (tried once). */
  readonly deadline: number | undefined;
  /** It stopped before trying all it could (see {@link FlightControl.cut}). */
  cut: boolean;
}

interface Entry {
  current?: CachedToken;
  flight?: Flight;
  /** After a failed renewal (grace), no new attempt before this time (entry clock). */
  retryAt?: number;
  /** Tokens the API rejected (the last few). */
  rejected: string[];
  /** Until then (entry clock) the entry is kept for its `rejected` list, though it holds no token. */
  rejectedUntil: number;
  /** Callers waiting for a token, told of every token that lands in the entry, through whichever fetch. */
  readonly listeners: Set<(token: CachedToken) => void>;
  /** The clock the entry's times are on. */
  now: () => number;
}

/** Rejected tokens remembered per entry. */
const REJECTED_KEPT = 4;
/** How long a rejected token whose expiry is unknown is remembered (the longest a token is kept). */
const REJECTED_FOR = 24 * 3_600_000;
const MAX_WAIT = 2 ** 31 - 1;

/**
 * An in-memory token cache. `defaultCache` is the one instance every client uses unless given another,
 * so clients with the same credentials share tokens. @internal
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  #sweepAt = 0;

  /** Entries held (each a credential set with a valid token, a fetch running, or not yet swept). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A token for `key`: the cached one while fresh; in the renewal window the cached one while one
   * background renewal runs; otherwise the result of the one fetch in progress (started here if
   * there is none). `request.signal` stops this caller's wait only.
   */
  async token(
    key: string,
    settings: CacheSettings,
    fetcher: Fetcher,
    request: TokenRequest = {},
  ): Promise<CachedToken> {
    const entry = this.#entry(key, settings.now);
    const now = settings.now();
    const current = entry.current;
    if (current !== undefined && now < current.expiresAt) {
      if (now >= renewAt(current, settings.leeway) && now >= (entry.retryAt ?? 0)) {
        if (!entry.flight || stalled(entry.flight)) {
          const flight = this.#start(entry, settings, fetcher, request, current, true);
          keepAlive(flight.done, request.waitUntil ?? settings.waitUntil);
        }
      }
      return current;
    }
    request.signal?.throwIfAborted();
    // A caller waits on its own fetch until it settles (each attempt is bounded by the timeout); a
    // fetch started by someone else is watched for stalls, since its owner may be gone. Either way a
    // token that lands through any fetch ends the wait.
    let arrived!: (token: CachedToken) => void;
    const arrival = new Promise<CachedToken>((resolve) => arrived = resolve);
    entry.listeners.add(arrived);
    let owned = !entry.flight || stalled(entry.flight);
    let flight = owned ? this.#start(entry, settings, fetcher, request, undefined, false) : entry.flight!;
    flight.waiters++;
    /** Leaves `flight` for one of this caller's own, or for whoever took over already. */
    const switchFlight = () => {
      if (entry.flight === flight) entry.flight = undefined;
      flight.waiters--;
      leave(entry, flight);
      owned = !entry.flight;
      flight = entry.flight ?? this.#start(entry, settings, fetcher, request, undefined, false);
      flight.waiters++;
    };
    let woken = false; // by the deadline
    try {
      for (;;) {
        // Past the deadline, a retry's wait (flight.error) ends the wait; an attempt runs out (as for API
        // calls). The deadline wakes the caller once, to look.
        const untilDeadline = request.deadline === undefined ? MAX_WAIT : request.deadline - settings.now();
        // (Once woken by it, the deadline counts as reached: a timer may fire a little early by the clock.)
        if (flight.error !== undefined && (untilDeadline <= 0 || woken)) throw flight.error;
        let patience = owned ? MAX_WAIT : flight.expectBy - Date.now();
        if (!woken && untilDeadline < patience) [patience, woken] = [Math.max(0, untilDeadline), true];
        try {
          const first = Promise.race([flight.landed, arrival]);
          const token = await race(patience, () => ELAPSED, request.signal, () => first, null);
          if (owned && flight.settled) await finish(flight, request.waitUntil ?? settings.waitUntil);
          return token;
        } catch (error) {
          if (error !== ELAPSED) {
            // Failed (or this caller aborted): a token that landed meanwhile still serves.
            const valid = usable(entry);
            if (valid && !request.signal?.aborted) return valid;
            // Someone else's fetch tried less than this caller may (a background renewal is tried once,
            // an earlier deadline stops retries sooner): this caller tries for itself.
            if (
              !flight.cut || owned || request.signal?.aborted || !(flight.deadline! < (request.deadline ?? Infinity))
            ) {
              throw error;
            }
            switchFlight();
            continue;
          }
        }
        const valid = usable(entry); // landed meanwhile, through another fetch
        if (valid) return valid;
        // Its owner is gone (or the server is slower than the stall bound): take over, or join
        // whoever took over already. An own fetch, or one that announced more progress, is waited for.
        if (!owned && stalled(flight)) switchFlight();
      }
    } finally {
      entry.listeners.delete(arrived);
      flight.waiters--;
      leave(entry, flight);
    }
  }

  /** The token `key` holds now, valid or not (no fetch is started). */
  peek(key: string): CachedToken | undefined {
    return this.#entries.get(key)?.current;
  }

  /** The API rejected `token`: it is dropped, and never handed out again for `key`. */
  reject(key: string, token: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    if (!entry.rejected.includes(token)) {
      entry.rejected.push(token);
      if (entry.rejected.length > REJECTED_KEPT) entry.rejected.shift();
    }
    // Kept (not swept) while the rejected token could still come back from a store or broker.
    const until = entry.current?.token === token ? entry.current.expiresAt : entry.now() + REJECTED_FOR;
    entry.rejectedUntil = Math.max(entry.rejectedUntil, until);
    if (entry.current?.token === token) entry.current = entry.retryAt = undefined;
  }

  #entry(key: string, now: () => number): Entry {
    let entry = this.#entries.get(key);
    if (!entry) {
      if (Date.now() >= this.#sweepAt) this.#sweep();
      this.#entries.set(key, entry = { rejected: [], rejectedUntil: 0, listeners: new Set(), now });
    }
    return entry;
  }

  /** Drops every entry whose token has expired while no fetch runs for it and no rejection is kept. */
  #sweep(): void {
    this.#sweepAt = Date.now() + 1_000;
    for (const [key, entry] of this.#entries) {
      const now = entry.now();
      if (!entry.flight && !(now < (entry.current?.expiresAt ?? 0)) && now >= entry.rejectedUntil) {
        this.#entries.delete(key);
      }
    }
  }

  #start(
    entry: Entry,
    settings: CacheSettings,
    fetcher: Fetcher,
    request: TokenRequest,
    renewing: CachedToken | undefined,
    background: boolean,
  ): Flight {
    let land!: (token: CachedToken) => void;
    let fail!: (error: unknown) => void;
    const landed = new Promise<CachedToken>((resolve, reject) => [land, fail] = [resolve, reject]);
    landed.catch(() => {}); // nobody may be listening (background renewals, callers that left)
    const controller = new AbortController();
    const flight: Flight = {
      landed,
      done: undefined!,
      expectBy: Date.now() + settings.stallAfter,
      error: undefined,
      waiters: background ? Infinity : 0,
      controller,
      settled: false,
      deadline: background ? -Infinity : request.deadline,
      cut: false,
    };
    const control: FlightControl = {
      renewing,
      progress(ms, error) {
        flight.expectBy = Date.now() + ms + settings.stallAfter;
        flight.error = error;
      },
      isRejected: (token) => entry.rejected.includes(token),
      signal: controller.signal,
      deadline: request.deadline,
      cut: () => void (flight.cut = true),
    };
    const end = () => {
      flight.settled = true;
      if (entry.flight === flight) entry.flight = undefined;
    };
    (flight as { done: Promise<void> }).done = (async () => {
      let result: Awaited<ReturnType<Fetcher>>;
      try {
        result = await fetcher(control);
      } catch (error) {
        end();
        const now = settings.now();
        const current = entry.current;
        // Grace: a renewal failed while a token is still valid: keep it, and try again later.
        if (renewing && current && now < current.expiresAt && !controller.signal.aborted) {
          const remaining = current.expiresAt - now;
          entry.retryAt = now + Math.min(15_000, remaining / 4);
          settings.emit({
            type: "grace",
            expiresIn: Math.round(remaining / 1000),
            code: error instanceof RapidataError ? error.code : "ERR_NETWORK",
            status: (error as { status?: number }).status,
          });
        }
        fail(error);
        return;
      }
      const { token } = result;
      end();
      if (entry.rejected.includes(token.token)) {
        // Never handed out: the API has refused it already.
        fail(new RapidataAuthError("ERR_TOKEN_RESPONSE", "Rapidata token source returned a token the API rejected"));
        return;
      }
      if (!(entry.current && entry.current.expiresAt > token.expiresAt)) {
        entry.current = token;
        entry.retryAt = undefined;
      }
      const now = settings.now();
      if (renewing && token.token === renewing.token && now < token.expiresAt) {
        // No newer token yet (a broker still renewing it): ask again later, not on every call.
        entry.retryAt = now + Math.min(15_000, (token.expiresAt - now) / 4);
      }
      // A renewal that brought no newer token (a broker still renewing, a lease held elsewhere) is no news.
      if (token.token !== renewing?.token) {
        settings.emit({
          type: "token",
          renewal: !!renewing,
          expiresIn: Math.round((token.expiresAt - now) / 1000),
          stored: !!token.stored,
        });
      }
      land(token);
      for (const arrive of entry.listeners) arrive(token);
      await result.after;
    })().catch(() => {});
    entry.flight = flight;
    return flight;
  }
}

/** The cache every client uses unless told otherwise: tokens are shared within an isolate. @internal */
export const defaultCache: TokenCache = new TokenCache();

/** True once a fetch has gone past the progress it announced: its owner may be gone. */
function stalled(flight: Flight): boolean {
  return Date.now() >= flight.expectBy;
}

/** The entry's token if it is valid now. */
function usable(entry: Entry): CachedToken | undefined {
  const current = entry.current;
  return current && entry.now() < current.expiresAt ? current : undefined;
}

/** A caller left `flight`: with nobody left waiting, a fetch still running is cancelled. */
function leave(entry: Entry, flight: Flight): void {
  if (flight.waiters > 0 || flight.settled) return;
  if (entry.flight === flight) entry.flight = undefined; // nobody joins a cancelled fetch
  try {
    flight.controller.abort();
  } catch { /* workerd: the fetch belongs to another request, which cancels it when it ends */ }
}

/** Hands background work to `waitUntil`; false when there is none. */
function keepAlive(work: Promise<void>, waitUntil: WaitUntil | undefined): boolean {
  if (!waitUntil) return false;
  try {
    waitUntil(work);
    return true;
  } catch {
    return false; // outside a request (workerd's module-level waitUntil)
  }
}

/** The owner of a fetch sees its store write through, unless it can leave it to `waitUntil`. */
async function finish(flight: Flight, waitUntil: WaitUntil | undefined): Promise<void> {
  if (!keepAlive(flight.done, waitUntil)) await flight.done;
}
