/**
 * One HTTP attempt under a deadline: the client's `timeout` plus an optional caller `AbortSignal`.
 *
 * @module
 */

import { RapidataError, RapidataTimeoutError } from "./errors.ts";

/** What {@link race} rejects with after `ms` when the caller only waits (`() => ELAPSED`). @internal */
export const ELAPSED = Symbol("elapsed");

/**
 * Runs `attempt` with a signal that aborts after `ms` or when `signal` aborts, and settles no later
 * than that even if `attempt` ignores its signal: with `onTimeout()` as the rejection after `ms`, with
 * the caller's `signal.reason` (an `AbortError`) on abort. Timer and listener are removed once settled.
 * @internal
 */
export function race<T>(
  ms: number,
  onTimeout: () => unknown,
  signal: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    signal?.throwIfAborted(); // rejects with the caller's reason; nothing is started
    const controller = new AbortController();
    // Once this has run, neither the timer nor the caller's abort can fire any more.
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (error: unknown) => {
      cleanup();
      controller.abort(error);
      reject(error);
    };
    const onAbort = () => fail(signal!.reason);
    const timer = setTimeout(() => fail(onTimeout()), ms);
    signal?.addEventListener("abort", onAbort); // removed by cleanup
    // After a failure this settles nothing: the promise is already rejected.
    attempt(controller.signal).finally(cleanup).then(resolve, reject);
  });
}

/**
 * {@link race} with the client's `timeout`, which surfaces as {@link RapidataTimeoutError}. With `where`
 * (what a failure of `attempt` could not reach), any other failure except the caller's abort and our own
 * errors becomes a `RapidataError` `ERR_NETWORK` with the platform's error as `cause`. @internal
 */
export function withDeadline<T>(
  what: "token request" | "API request",
  timeout: number,
  signal: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
  where?: string,
): Promise<T> {
  return race(timeout, () => new RapidataTimeoutError(what, timeout), signal, attempt).catch((cause: unknown) => {
    if (where === undefined || cause instanceof RapidataError || signal?.aborted) throw cause;
    throw new RapidataError("ERR_NETWORK", `Rapidata ${what} failed: could not reach ${where}`, { cause });
  });
}
