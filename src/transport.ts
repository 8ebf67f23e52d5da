/**
 * One HTTP exchange with the API: deadline per attempt, manual redirects that keep the bearer token
 * on the API origin only, and the rules for replaying a request body.
 *
 * @module
 */

import { withDeadline } from "./deadline.ts";
import { RapidataError } from "./errors.ts";

/** Redirect hops followed for one call. */
export const MAX_REDIRECTS = 5;

/** A request in a form that can be sent more than once (when its body allows). @internal */
export interface Outgoing {
  url: URL;
  method: string;
  /** Headers without our Authorization. */
  headers: Headers;
  body: BodyInit | null;
  /** False once a one-shot body (a stream) has been handed to `fetch`. */
  replayable: boolean;
  redirect: RequestRedirect;
  signal: AbortSignal | undefined;
  /** Other `RequestInit` members (`cache`, `keepalive`, …) passed through untouched. */
  extra: RequestInit;
}

/** What the transport needs from the client. @internal */
export interface TransportConfig {
  readonly fetch: typeof fetch;
  readonly timeout: number;
  readonly apiOrigin: string;
}

/** True for bodies that `fetch` can send again: everything but streams (and exotic iterables). @internal */
export function isReplayableBody(body: BodyInit | null | undefined): boolean {
  return body === null || body === undefined || typeof body === "string" || body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) || body instanceof Blob || body instanceof URLSearchParams || body instanceof FormData;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

async function attempt(config: TransportConfig, req: Outgoing, bearer: string | undefined): Promise<Response> {
  const headers = new Headers(req.headers);
  if (bearer !== undefined) headers.set("authorization", `Bearer ${bearer}`);
  const body = req.body;
  if (body !== null && !isReplayableBody(body)) req.replayable = false;
  const init: RequestInit & { duplex?: "half" } = {
    ...req.extra,
    method: req.method,
    headers,
    body,
    redirect: "manual",
  };
  if (body instanceof ReadableStream) init.duplex = "half";
  try {
    return await withDeadline("API request", config.timeout, req.signal, (signal) => {
      init.signal = signal;
      return config.fetch(req.url.href, init);
    });
  } catch (cause) {
    if (cause instanceof RapidataError || req.signal?.aborted) throw cause;
    throw new RapidataError("ERR_NETWORK", `Rapidata API request failed: could not reach ${req.url.origin}`, { cause });
  }
}

/**
 * Sends `req`, following redirects by hand when `req.redirect` is `"follow"`. The bearer token goes
 * only to the API origin and is dropped for good once a redirect leaves it. `req` is updated to the
 * last hop (URL, method, body) so a replay repeats what was sent last. @internal
 */
export async function send(
  config: TransportConfig,
  req: Outgoing,
  bearer: string | undefined,
): Promise<{ response: Response; bearerSent: boolean }> {
  let carry = bearer; // callers only send requests that start on the API origin
  for (let hops = 0;; hops++) {
    const response = await attempt(config, req, carry);
    const done = { response, bearerSent: carry !== undefined };
    if (req.redirect !== "follow" || !REDIRECTS.has(response.status)) return done;
    const location = response.headers.get("location");
    if (location === null) return done;
    if (hops === MAX_REDIRECTS) {
      await response.body?.cancel();
      throw new RapidataError("ERR_REDIRECT", `Rapidata API request was redirected more than ${MAX_REDIRECTS} times`);
    }
    let next: URL;
    try {
      next = new URL(location, req.url);
    } catch {
      next = new URL("invalid:");
    }
    if (next.protocol !== "https:" && next.protocol !== "http:") {
      await response.body?.cancel();
      throw new RapidataError("ERR_REDIRECT", "Rapidata API request was redirected to an unusable location");
    }
    const toGet = (response.status === 303 && req.method !== "GET" && req.method !== "HEAD") ||
      ((response.status === 301 || response.status === 302) && req.method === "POST");
    if (toGet) {
      req.method = "GET";
      req.body = null;
      for (const name of BODY_HEADERS) req.headers.delete(name);
    } else if (req.body !== null && !req.replayable) {
      return done; // a stream cannot be sent twice: hand the redirect to the caller
    }
    await response.body?.cancel();
    if (next.origin !== config.apiOrigin) carry = undefined;
    req.url = next;
  }
}
