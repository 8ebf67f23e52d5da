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
 * `AbortError`) on abort. Unless `passive`, `attempt` gets a signal that aborts then (`passive` when
 * it would not use one: an AbortController costs ~4 µs on Node 20). Timer and listener are removed once
 * settled. @internal
 */
export function race<T>(
  ms: number,
  onTimeout: () => unknown,
  signal: AbortSignal | undefined,
  attempt: (signal?: AbortSignal) => Promise<T>,
  passive?: boolean,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    signal?.throwIfAborted(); // rejects with the caller's reason; nothing is started
    const controller = passive ? undefined : new AbortController();
    // Started before the timer: if `attempt` throws, nothing is left behind.
    const pending = attempt(controller?.signal);
    // Once this has run, neither the timer nor the caller's abort can fire any more.
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (error: unknown) => {
      cleanup();
      controller?.abort(error);
      reject(error);
    };
    const onAbort = () => fail(signal!.reason);
    const timer = setTimeout(() => fail(onTimeout()), ms);
    signal?.addEventListener("abort", onAbort); // removed by cleanup
    // After a failure this settles nothing: the promise is already rejected.
    pending.finally(cleanup).then(resolve, reject);
  });
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
  return signal ? race(2 ** 31 - 1, () => ELAPSED, signal, () => promise, true) : promise;
}

/**
 * {@link race} with the client's `timeout`, which surfaces as {@link RapidataTimeoutError}. Any other
 * failure except the caller's abort, our own errors and the caller's mistakes becomes a `RapidataError` `ERR_NETWORK` (could not
 * reach `where`) with the platform's error as `cause`. @internal
 */
export function withDeadline<T>(
  what: "token request" | "API request",
  timeout: number,
  signal: AbortSignal | undefined,
  attempt: (signal?: AbortSignal) => Promise<T>,
  where: string,
  passive?: boolean,
): Promise<T> {
  return race(timeout, () => new RapidataTimeoutError(what, timeout), signal, attempt, passive).catch(
    (cause: unknown) => {
      if (cause instanceof RapidataError || signal?.aborted || MISTAKES.has(cause as object)) throw cause;
      throw new RapidataError("ERR_NETWORK", `Rapidata ${what} failed: could not reach ${where}`, { cause });
    },
  );
}
