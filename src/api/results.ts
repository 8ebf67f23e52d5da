/**
 * Downloading a job's or an order's results file as a stream.
 *
 * @module
 */

import { ERROR_BODY_LIMIT, messageOf, type RequestOptions } from "../client.ts";
import { RapidataApiError, RapidataTimeoutError, redact } from "../errors.ts";
import { readText } from "../http/body.ts";
import { race } from "../http/deadline.ts";
import { onlyKnown } from "../internal/known.ts";
import { optionsOf } from "./poll.ts";
import type { TypedClient } from "./typed.ts";

/** How long an error answer's body may take to arrive, ms. */
const ERROR_BODY_WAIT = 30_000;

/**
 * Options of {@link downloadResults}: the core's `headers`, `signal`, `deadline`, `waitUntil`.
 *
 * @example
 * ```ts
 * import type { DownloadOptions } from "@rapidata/fetch/api";
 * const options: DownloadOptions = { signal: AbortSignal.timeout(60_000) };
 * ```
 */
export type DownloadOptions = Pick<RequestOptions, "headers" | "signal" | "deadline" | "waitUntil">;

/**
 * The results file of a job (`GET /job/{jobId}/download-results`) or an order
 * (`GET /order/{orderId}/download-results`) as the streaming `Response`: its body is never buffered,
 * so pipe it to a file or onward (`response.body`). A non-2xx answer rejects with a
 * `RapidataApiError` (its body read, at most 64 KiB).
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { downloadResults, typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const response = await downloadResults(api, "job", "job-id");
 * const reader = response.body!.getReader();
 * for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) console.log(chunk.value.byteLength);
 * ```
 */
export async function downloadResults(
  api: TypedClient,
  kind: "job" | "order",
  id: string,
  given?: DownloadOptions,
): Promise<Response> {
  const client = api?.client;
  if (typeof client?.fetch !== "function") {
    throw new TypeError("downloadResults: expects a typed client: downloadResults(typed(createClient(…)), …)");
  }
  if (kind !== "job" && kind !== "order") {
    throw new TypeError(`downloadResults: the kind must be "job" or "order", not ${JSON.stringify(kind)}`);
  }
  if (typeof id !== "string" || id === "") throw new TypeError("downloadResults: the id must be a non-empty string");
  const options = optionsOf("downloadResults", given);
  onlyKnown(options, ["headers", "signal", "deadline", "waitUntil"], "downloadResults");
  const path = `/${kind}/${encodeURIComponent(id)}/download-results`;
  const response = await client.fetch(path, options);
  if (response.ok) return response;
  // An error body that stalls ends as the client's default timeout would end it.
  const { text, truncated } = await race(
    ERROR_BODY_WAIT,
    () => new RapidataTimeoutError("API request", ERROR_BODY_WAIT),
    options.signal,
    (signal) => readText(response, ERROR_BODY_LIMIT, signal),
  );
  // The bearer token is the cached one: a server that echoes it back does not leak it here.
  const secrets = [await client.accessToken().catch(() => undefined)];
  let details: unknown = text ? redact(text, secrets) : undefined;
  try {
    if (!truncated && details) details = JSON.parse(details as string);
  } catch { /* keep the text */ }
  const message = messageOf(details) || response.statusText;
  throw new RapidataApiError(
    "ERR_API_RESPONSE",
    `Rapidata API GET ${path} failed with HTTP ${response.status}${message ? `: ${message}` : ""}`,
    response,
    { details, truncated, secrets },
  );
}
