/**
 * Reading a body with a bound: nothing reads more than it will keep.
 *
 * @module
 */

/** What {@link readText} resolves to when the body is longer than its limit. @internal */
export const TOO_LARGE = Symbol("too large");

/**
 * The body of `response` as text, read through a reader so that it can be cancelled: at most `limit`
 * bytes, else the stream is cancelled (the connection released) and the result is {@link TOO_LARGE}.
 * @internal
 */
export async function readText(response: Response, limit: number): Promise<string | typeof TOO_LARGE> {
  const body = response.body;
  if (body === null) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return TOO_LARGE;
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}
