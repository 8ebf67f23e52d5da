/**
 * One HTTP attempt under a deadline: the client's `timeout` plus an optional caller `AbortSignal`.
 *
 * @module
 */

import { RapidataTimeoutError } from "./errors.ts";

/**
 * Runs `attempt` with a signal that aborts after `timeout` ms or when `signal` aborts, and settles no
 * later than that even if `attempt` ignores its signal. Our timeout surfaces as
 * {@link RapidataTimeoutError}; the caller's abort as the caller's `signal.reason` (an `AbortError`).
 * @internal
 */
export function withDeadline<T>(
  what: "token request" | "API request",
  timeout: number,
  signal: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const controller = new AbortController();
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      controller.abort(error);
      reject(error);
    };
    const onAbort = () => fail(signal!.reason);
    const timer = setTimeout(() => fail(new RapidataTimeoutError(what, timeout)), timeout);
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    attempt(controller.signal).then(
      (value) => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(error);
      },
    );
  });
}
