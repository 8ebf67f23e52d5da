/**
 * Reading a body with a bound and a way out: nothing reads more than it will keep, and a timeout or an
 * abort closes the stream at once.
 *
 * @module
 */

import { race } from "./deadline.ts";

/** A body as read: its text, and whether it was cut at the limit. @internal */
export interface ReadBody {
  readonly text: string;
  /** True when the body was longer than the limit: `text` holds its first `limit` bytes. */
  readonly truncated: boolean;
}

/**
 * The body of `response` as text, read through a reader that can be cancelled: at most `limit` bytes
 * (beyond them the stream is cancelled and the result is marked `truncated`). An abort of `signal`, or
 * `timeout` ms passing (then `expired()` is the reason), cancels the stream, releasing the connection,
 * and rejects with the reason. No signal of its own: a timer and a listener ({@link race}). @internal
 */
export function readText(
  response: Response,
  limit = Infinity,
  signal?: AbortSignal,
  timeout?: number,
  expired?: () => unknown,
): Promise<ReadBody> {
  const body = response.body;
  if (body === null) return Promise.resolve({ text: "", truncated: false });
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  let stopped: { reason: unknown } | undefined;
  return race(timeout, expired, signal, async () => {
    reader = body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let size = 0;
    try {
      for (;;) {
        // A cancelled read ends as if the body were complete, or (a platform's body, workerd) fails.
        const { done, value } = await reader.read();
        if (stopped) throw stopped.reason;
        if (done) return { text: text + decoder.decode(), truncated: false };
        size += value.byteLength;
        if (size > limit) {
          text += decoder.decode(value.subarray(0, value.byteLength - (size - limit)));
          await reader.cancel().catch(() => {});
          return { text, truncated: true };
        }
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      reader.releaseLock();
    }
  }, {
    abort: (reason) => {
      stopped = { reason };
      void reader.cancel(reason).catch(() => {});
    },
  });
}
