/**
 * One HTTP attempt under a deadline: the client's `timeout` plus an optional caller `AbortSignal`.
 *
 * @module
 */

import { RapidataError, RapidataTimeoutError } from "../errors.ts";

/** What {@link race} rejects with after `ms` when the caller only waits (`() => ELAPSED`). @internal */
export const ELAPSED = Symbol("elapsed");

/**
 * Runs `attempt` and settles no later than `ms` or an abort of `signal`, even if `attempt` ignores its
 * signal: with `onTimeout()` as the rejection after `ms`, with the caller's `signal.reason` (an
 * `AbortError`) on abort. `attempt` gets a signal that aborts then: of `own` when given (the caller may
 * abort it later), none when `own` is `null` (it would not use one: a signal costs ~2.5 µs on Node 20).
 * Timer and listener are removed once settled. @internal
 */
export function race<T>(
  ms: number,
  onTimeout: () => unknown,
  signal: AbortSignal | undefined,
  attempt: (signal?: AbortSignal) => Promise<T>,
  own?: AbortController | null,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    signal?.throwIfAborted(); // rejects with the caller's reason; nothing is started
    const controller = own === undefined ? new AbortController() : own ?? undefined;
    // Started before the timer: if `attempt` throws, nothing is left behind.
    const pending = attempt(controller?.signal);
    const cleanup = guard(ms, onTimeout, signal, (error) => {
      controller?.abort(error);
      reject(error);
    });
    // After a failure this settles nothing: the promise is already rejected.
    pending.then((value) => {
      cleanup();
      resolve(value);
    }, (error: unknown) => {
      cleanup();
      reject(error);
    });
  });
}

/**
 * Calls `stop` at most once: with `onTimeout()` after `ms` (never when `undefined`), or with the
 * reason of `signal`'s abort. Returns the cleanup, after which neither can fire any more. @internal
 */
export function guard(
  ms: number | undefined,
  onTimeout: (() => unknown) | undefined,
  signal: AbortSignal | undefined,
  stop: (reason: unknown) => void,
): () => void {
  const cleanup = () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  const fire = (reason: unknown) => {
    cleanup();
    stop(reason);
  };
  const onAbort = () => fire(signal!.reason);
  const timer = ms === undefined ? undefined : setTimeout(() => fire(onTimeout!()), ms);
  signal?.addEventListener("abort", onAbort); // removed by cleanup
  return cleanup;
}

/** Errors that are the caller's mistakes: they pass every wrapper as they are. */
const MISTAKES = new WeakSet<object>();

/** Marks `error` as the caller's mistake (see {@link withDeadline}); returns it. @internal */
export function callerMistake<T extends object>(error: T): T {
  MISTAKES.add(error);
  return error;
}

/**
 * `promise`, unless `signal` aborts first (then its reason); `promise` goes on either way. @internal
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal ? race(2 ** 31 - 1, () => ELAPSED, signal, () => promise, null) : promise;
}

/**
 * {@link race} with the client's `timeout` (none when `undefined`), which surfaces as {@link RapidataTimeoutError}. Any other
 * failure except the caller's abort, our own errors and the caller's mistakes becomes a `RapidataError` `ERR_NETWORK` (could not
 * reach `where`) with the platform's error as `cause`. @internal
 */
export function withDeadline<T>(
  what: "token request" | "API request",
  timeout: number | undefined,
  signal: AbortSignal | undefined,
  attempt: (signal?: AbortSignal) => Promise<T>,
  where: string | URL,
  own?: AbortController | null,
): Promise<T> {
  // No timeout: no signal of ours; the caller's, if any, still ends the wait.
  return (timeout === undefined
    ? untilAborted(new Promise<T>((resolve) => (signal?.throwIfAborted(), resolve(attempt()))), signal)
    : race(timeout, () => new RapidataTimeoutError(what, timeout), signal, attempt, own)).catch(
      failure(what, where, signal),
    );
}

/**
 * What a failed attempt rejects with: our own errors, the caller's abort and the caller's mistakes as
 * they are; anything else (the platform's) as a `RapidataError` `ERR_NETWORK` (could not reach
 * `where`) with the platform's error as `cause`. @internal
 */
export function failure(what: string, where: string | URL, signal: AbortSignal | undefined): (cause: unknown) => never {
  return (cause) => {
    if (cause instanceof RapidataError || signal?.aborted || MISTAKES.has(cause as object)) throw cause;
    const origin = typeof where === "string" ? where : where.origin; // (only here: a getter per call costs)
    throw new RapidataError("ERR_NETWORK", `Rapidata ${what} failed: could not reach ${origin}`, { cause });
  };
}
