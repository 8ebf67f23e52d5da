/**
 * One HTTP attempt under a deadline: the client's `timeout` plus an optional caller `AbortSignal`.
 *
 * @module
 */

import { RapidataError, RapidataTimeoutError } from "../errors.ts";

/** What {@link race} rejects with after `ms` when the caller only waits (`() => ELAPSED`). @internal */
export const ELAPSED = Symbol("elapsed");

/** What {@link race} stops when it ends early: an `AbortController`, or anything that can be aborted. @internal */
export interface Stoppable {
  abort(reason: unknown): void;
  readonly signal?: AbortSignal;
}

/**
 * Runs `attempt` and settles no later than `ms` (no limit when `undefined`) or an abort of `signal`,
 * even if `attempt` ignores its signal: with `onTimeout()` as the failure after `ms`, with the caller's
 * `signal.reason` (an `AbortError`) on abort. Then `own` is aborted with that reason; `attempt` gets
 * its signal (`own` defaults to a new `AbortController`; `null`: none, for an attempt that would not use
 * one: a signal costs ~2.5 µs on Node 20). Timer and listener are removed once settled.
 *
 * `then` and `fail` map the outcome (the value; the failure, thrown at once by `attempt` too) inside
 * the one promise returned, as `.then(then, fail)` would without another promise: each may return a
 * promise to follow, or throw. @internal
 */
export function race<T, R = T>(
  ms: number | undefined,
  onTimeout: (() => unknown) | undefined,
  signal: AbortSignal | undefined,
  attempt: (signal?: AbortSignal) => Promise<T>,
  own?: Stoppable | null,
  then?: (value: T) => R | PromiseLike<R>,
  fail?: (error: unknown) => R | PromiseLike<R>,
): Promise<R> {
  // Nothing to race: the attempt's own promise, mapped.
  if (ms === undefined && !signal) return start(attempt).then(then, fail);
  return new Promise<R>((resolve, reject) => {
    signal?.throwIfAborted(); // rejects with the caller's reason; nothing is started
    const stoppable = own === undefined ? new AbortController() : own ?? undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    let settled = false;
    // Once: with the attempt's outcome, or stopping it (the timeout's or the abort's reason).
    const settle = (failed: boolean, outcome: unknown, stop?: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener("abort", onAbort);
      if (stop) stoppable?.abort(outcome);
      try {
        if (!failed) resolve(then ? then(outcome as T) : outcome as R);
        else if (fail) resolve(fail(outcome));
        else reject(outcome);
      } catch (error) {
        reject(error);
      }
    };
    const pending = start(attempt, stoppable?.signal);
    if (ms !== undefined) timer = setTimeout(() => settle(true, onTimeout!(), true), ms);
    if (signal) signal.addEventListener("abort", onAbort = () => settle(true, signal.reason, true));
    pending.then((value) => settle(false, value), (error: unknown) => settle(true, error));
  });
}

/** `attempt(signal)`, also when it throws at once (then a rejection). */
function start<T>(attempt: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return attempt(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * `promise`, unless `signal` aborts first (then its reason); `promise` goes on either way. @internal
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal ? race(undefined, undefined, signal, () => promise, null) : promise;
}

/**
 * {@link race} with the client's `timeout` (none when `undefined`: then `attempt` gets no signal), which
 * surfaces as {@link RapidataTimeoutError}; any failure reaches `fail` (else rejects) as {@link failure}
 * makes it. @internal
 */
export function withDeadline<T, R = T>(
  what: "token request" | "API request",
  timeout: number | undefined,
  signal: AbortSignal | undefined,
  attempt: (signal?: AbortSignal) => Promise<T>,
  where: string | URL,
  own?: AbortController | null,
  then?: (value: T) => R | PromiseLike<R>,
  fail?: (error: unknown) => R | PromiseLike<R>,
): Promise<R> {
  const expired = timeout === undefined ? undefined : () => new RapidataTimeoutError(what, timeout);
  return race(timeout, expired, signal, attempt, timeout === undefined ? null : own, then, (cause) => {
    const error = failure(what, where, signal, cause);
    if (fail) return fail(error);
    throw error;
  });
}

/**
 * What a failed attempt fails with: our own errors and the caller's abort as they are; anything else
 * (the platform's) as a `RapidataError` `ERR_NETWORK` (could not reach `where`) with the platform's
 * error as `cause`. @internal
 */
export function failure(what: string, where: string | URL, signal: AbortSignal | undefined, cause: unknown): unknown {
  if (cause instanceof RapidataError || signal?.aborted) return cause;
  const origin = typeof where === "string" ? where : where.origin; // (only here: a getter per call costs)
  return new RapidataError("ERR_NETWORK", `Rapidata ${what} failed: could not reach ${origin}`, { cause });
}
