/**
 * Reading a body with a bound and a way out: nothing reads more than it will keep, and a timeout or an
 * abort closes the stream at once.
 *
 * @module
 */

/** A body as read: its text, and whether it was cut at the limit. @internal */
export interface ReadBody {
  readonly text: string;
  /** True when the body was longer than the limit: `text` holds its first `limit` bytes. */
  readonly truncated: boolean;
}

/**
 * The body of `response` as text, read through a reader that can be cancelled: at most `limit` bytes
 * (beyond them the stream is cancelled and the result is marked `truncated`). An abort of `signal`
 * cancels the stream, releasing the connection, and rejects with its reason. @internal
 */
export async function readText(response: Response, limit = Infinity, signal?: AbortSignal): Promise<ReadBody> {
  const body = response.body;
  if (body === null) return { text: "", truncated: false };
  signal?.throwIfAborted();
  const reader = body.getReader();
  const cancel = () => void reader.cancel(signal!.reason).catch(() => {});
  signal?.addEventListener("abort", cancel);
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted(); // a cancelled read ends as if the body were complete
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
    signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
}
