/**
 * What the workflows that wait share: one signal that the caller's abort and an overall timeout both
 * end, waits that grow with jitter, and the checks of their options.
 *
 * @module
 */

import { sleep } from "../http/retry.ts";

/** The defaults of the workflows (`@rapidata/fetch/api`), in one table. */
export const WORKFLOW_DEFAULTS = {
  /** First wait between two polls, ms. */
  interval: 1_000,
  /** Longest wait between two polls, ms (unless `interval` is longer). */
  maxInterval: 30_000,
  /** Each wait is this many times the one before. */
  growth: 1.5,
  /** URLs per batch upload. */
  chunkSize: 500,
  /** Batch uploads created at once. */
  concurrency: 4,
  /** Share of URLs that may fail before `batchUpload` rejects. */
  failureTolerance: 0,
} as const;

/** Options every waiting workflow takes. */
export interface PollOptions {
  /** The first wait between two polls in ms; later waits grow to at most 30 s (or this, if longer). @default 1000 */
  interval?: number;
  /** Gives up after this many ms in all (`ERR_WAIT_TIMEOUT`). @default undefined (no limit) */
  timeout?: number;
  /** Ends the wait and the request in flight; rejects with the signal's reason. @default undefined */
  signal?: AbortSignal;
}

/** Throws the `TypeError` for a misused workflow option. @internal */
export function misuse(where: string, option: string, rule: string): never {
  throw new TypeError(`${where}: "${option}" ${rule}`);
}

/** The longest a platform timer waits (ms): longer ones fire at once. */
const LONGEST_TIMER = 2_147_483_647;

/** Checks that `value` (option `option`) is a finite number ≥ `min`, or absent. @internal */
export function checkNumber(where: string, option: string, value: unknown, min: number, integer = false): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    misuse(where, option, `must be ${integer ? "an integer" : "a number"} ≥ ${min}, not ${String(value)}`);
  }
}

/** `options` as an object (`null` and `undefined` are none), or a `TypeError`. @internal */
export function optionsOf<T extends object>(where: string, options: T | null | undefined): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== "object") throw new TypeError(`${where}: the options must be an object`);
  return options;
}

/** Checks `signal` and the poll options. @internal */
export function checkPollOptions(where: string, options: PollOptions): void {
  checkNumber(where, "interval", options.interval, 1);
  checkNumber(where, "timeout", options.timeout, 0);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    misuse(where, "signal", "must be an AbortSignal");
  }
}

/** A running wait: its signal, its next pause, and the cleanup. @internal */
export interface Poller {
  /** Aborts on the caller's abort (its reason) or at the timeout (`onTimeout()`). */
  readonly signal: AbortSignal;
  /** Waits before the next poll: about `interval` the first time, then longer, jittered. */
  pause(): Promise<void>;
  /** Runs `work` and, if it failed because the wait ended, throws why the wait ended instead. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Removes the timer and the listener, and cancels what the work left running (its result is in). */
  done(): void;
}

/**
 * The waits between polls, one per call: about `interval` first (±20 %, so that pollers started
 * together drift apart), each 1.5 times the one before, never above 30 s (or `interval`, if that is
 * longer, up to the 2^31 - 1 ms a platform timer can wait). `random` is `Math.random` unless given. @internal
 */
export function backoff(interval: number = WORKFLOW_DEFAULTS.interval, random = Math.random): () => number {
  const longest = Math.min(LONGEST_TIMER, Math.max(interval, WORKFLOW_DEFAULTS.maxInterval));
  let next = interval;
  return () => {
    const wait = Math.min(longest, next * (0.8 + 0.4 * random()));
    next = Math.min(longest, next * WORKFLOW_DEFAULTS.growth);
    return wait;
  };
}

/** Starts a wait under `options`; `onTimeout` makes the error a timeout rejects with. @internal */
export function startPolling(options: PollOptions, onTimeout: () => Error): Poller {
  const controller = new AbortController();
  const { signal: caller, timeout } = options;
  const onAbort = () => controller.abort(caller!.reason);
  if (caller?.aborted) onAbort();
  else caller?.addEventListener("abort", onAbort, { once: true });
  const timer = timeout === undefined
    ? undefined
    : setTimeout(() => controller.abort(onTimeout()), Math.min(timeout, LONGEST_TIMER));
  const waits = backoff(options.interval);
  const { signal } = controller;
  return {
    signal,
    pause: () => sleep(waits(), signal),
    run: async (work) => {
      try {
        signal.throwIfAborted();
        return await work();
      } catch (error) {
        if (signal.aborted) throw signal.reason; // the caller's reason or the timeout, not a side effect of it
        throw error;
      }
    },
    done: () => {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onAbort);
      controller.abort(); // requests the work left in flight end (nobody waits for them)
    },
  };
}
