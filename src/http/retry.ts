/**
 * The retry loop shared by API calls and token requests (each caller says which failures it retries):
 * how long to wait (exponential backoff with full jitter, `Retry-After` honoured up to a cap), and the
 * events reported through `onEvent`.
 *
 * @module
 */

import { ELAPSED, race } from "./deadline.ts";
import { RapidataError } from "../errors.ts";
import type { Emit } from "../events.ts";

/** Retries of failed requests; `false` turns them off. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 3 */
  limit?: number;
  /** Base of the exponential backoff in ms: attempt n waits a random time up to `delay * 2^n`. @default 250 */
  delay?: number;
  /** Cap in ms of one wait, `Retry-After` included. @default 60000 */
  maxDelay?: number;
}

/** The resolved policy plus the client's clock, sleep and event hook. @internal */
export interface RetryPolicy {
  readonly limit: number;
  readonly delay: number;
  readonly maxDelay: number;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly emit: Emit;
}

/**
 * A timer that `signal` cancels (rejecting with its reason): {@link race} against a promise that never
 * settles, so the timer is the only way it ends well. @internal
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return race(ms, () => ELAPSED, signal, () => new Promise<void>(() => {}), null, undefined, (error) => {
    if (error !== ELAPSED) throw error;
  });
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date (relative to `now`, epoch ms); `undefined` when
 * absent or unreadable, never negative. @internal
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date starts with its day name (all three formats of RFC 9110 §5.6.7); Date.parse alone
  // would also read "-0Z" or "1 a".
  const date = /^(?:mon|tue|wed|thu|fri|sat|sun)/i.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Runs `attempt` and retries it under `policy` while `retryable` says so, at most `policy.limit` times
 * and never past `deadline` (epoch ms on the policy's clock). `retryable` gets the HTTP status of the
 * result's or the error's `response` (where `Retry-After` is read too) and whether the attempt failed
 * with a network error or a timeout. `waiting` hears of each wait (and the failure it follows) before it
 * starts; `cut` hears when only the deadline stopped a retry that would have been made. Resolves to the
 * last result, rejects with the last error. @internal
 */
export async function withRetries<T extends object>(
  policy: RetryPolicy,
  target: "token" | "api",
  attempt: () => Promise<T>,
  retryable: (status: number | undefined, transient: boolean, error: unknown) => boolean,
  options: {
    signal?: AbortSignal;
    deadline?: number;
    waiting?: (ms: number, error: unknown) => void;
    cut?: () => void;
  } = {},
): Promise<T> {
  for (let retry = 1;; retry++) {
    let result: T | undefined; // always set when the attempt succeeds
    let error: unknown;
    try {
      result = await attempt();
    } catch (caught) {
      if (options.signal?.aborted) throw caught;
      error = caught;
    }
    const response = result instanceof Response ? result : (error as { response?: Response } | undefined)?.response;
    const status = response?.status;
    // Our attempts wrap every platform error (as ERR_NETWORK) except the caller's abort.
    const code = error instanceof RapidataError ? error.code : undefined;
    let again = retry <= policy.limit && retryable(status, code === "ERR_NETWORK" || code === "ERR_TIMEOUT", error);
    let delay = 0;
    if (again) { // (the delay is worked out only for a retry: not on every call's answer)
      // Exponential backoff with full jitter, unless the server said how long to wait.
      const after = response && parseRetryAfter(response.headers.get("retry-after"), policy.now());
      delay = Math.round(Math.min(after ?? Math.random() * policy.delay * 2 ** (retry - 1), policy.maxDelay));
      if (policy.now() + delay >= (options.deadline ?? Infinity)) {
        options.cut?.(); // only the deadline stopped it
        again = false;
      }
    }
    if (!again) {
      if (result) return result;
      throw error;
    }
    policy.emit({ type: "retry", target, attempt: retry, delay, status, code });
    // Discard an API answer before asking again (a token endpoint's answer has been read already).
    await (result as Response | undefined)?.body?.cancel();
    options.waiting?.(delay, error ?? result);
    await policy.sleep(delay, options.signal);
  }
}
