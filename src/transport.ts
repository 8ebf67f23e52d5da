/**
 * One HTTP exchange with the API: deadline per attempt, manual redirects that keep the bearer token
 * on the API origin only, and the rules for replaying a request body.
 *
 * @module
 */

import { withDeadline } from "./deadline.ts";
import { RapidataError } from "./errors.ts";
import { VERSION } from "./version.ts";

/** Redirect hops followed for one call. */
export const MAX_REDIRECTS = 5;

/** The `X-Client` header sent to the API and the token endpoint. @internal */
export const X_CLIENT = `RapidataFetch/${VERSION}`;

/** A request in a form that can be sent more than once (when its body allows). @internal */
export interface Outgoing {
  url: URL;
  method: string;
  /** Headers without our Authorization. */
  headers: Headers;
  body: BodyInit | null;
  /** False for a one-shot body (a stream): it cannot be handed to `fetch` twice. */
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
  return body == null || typeof body === "string" || ArrayBuffer.isView(body) ||
    [ArrayBuffer, Blob, URLSearchParams, FormData].some((type) => body instanceof type);
}

const REDIRECTS = [301, 302, 303, 307, 308];
/** Dropped (as `content-<name>`) when a redirect turns the request into a GET without a body. */
const BODY_HEADERS = ["type", "length", "encoding", "language", "location"];

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
    const headers = new Headers(req.headers);
    if (carry !== undefined) headers.set("authorization", `Bearer ${carry}`);
    const init: RequestInit & { duplex?: "half" } = {
      ...req.extra,
      method: req.method,
      headers,
      body: req.body,
      redirect: "manual",
    };
    if (req.body instanceof ReadableStream) init.duplex = "half";
    const response = await withDeadline("API request", config.timeout, req.signal, (signal) => {
      init.signal = signal;
      return config.fetch(req.url.href, init);
    }).catch((cause: unknown) => {
      if (cause instanceof RapidataError || req.signal?.aborted) throw cause;
      throw new RapidataError("ERR_NETWORK", `Rapidata API request failed: could not reach ${req.url.origin}`, {
        cause,
      });
    });
    const { status } = response;
    const done = { response, bearerSent: carry !== undefined };
    const location = response.headers.get("location");
    if (req.redirect !== "follow" || !REDIRECTS.includes(status) || location === null) return done;
    let next: URL | undefined;
    try {
      next = new URL(location, req.url);
    } catch { /* unusable */ }
    if (hops === MAX_REDIRECTS || !next || (next.protocol !== "https:" && next.protocol !== "http:")) {
      await response.body?.cancel();
      const problem = hops === MAX_REDIRECTS ? `more than ${MAX_REDIRECTS} times` : "to an unusable location";
      throw new RapidataError("ERR_REDIRECT", `Rapidata API request was redirected ${problem}`);
    }
    // 303 turns anything but GET / HEAD into a GET, 301 and 302 turn a POST into one (as fetch does).
    if (status === 303 ? req.method !== "GET" && req.method !== "HEAD" : status < 303 && req.method === "POST") {
      req.method = "GET";
      req.body = null;
      for (const name of BODY_HEADERS) req.headers.delete(`content-${name}`);
    } else if (req.body !== null && !req.replayable) {
      return done; // a stream cannot be sent twice: hand the redirect to the caller
    }
    await response.body?.cancel();
    if (next.origin !== config.apiOrigin) carry = undefined;
    req.url = next;
  }
}
