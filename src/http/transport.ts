/**
 * One authenticated exchange with the API: our headers and token, a deadline per attempt, manual
 * redirects that keep the bearer token on the API origin only, retries, one token renewal and replay
 * on a 401, and the rules for replaying a request body.
 *
 * @module
 */

import { RapidataError } from "../errors.ts";
import type { TransportSettings } from "../options.ts";
import type { TokenSource, WaitUntil } from "../token/source.ts";
import { VERSION } from "../version.ts";
import { challengeOf } from "./challenge.ts";
import { callerMistake, untilAborted, withDeadline } from "./deadline.ts";
import { type RetryPolicy, withRetries } from "./retry.ts";

/** Redirect hops followed for one call. */
export const MAX_REDIRECTS = 5;

/** The `X-Client` header sent to the API and the token endpoint. @internal */
export const X_CLIENT = `RapidataFetch/${VERSION}`;

/** What an exchange needs: transport settings, the retry policy and the token source. @internal */
export interface Transport {
  readonly settings: TransportSettings;
  readonly retry: RetryPolicy;
  readonly source: TokenSource;
}

/** `fetch`'s init plus our per-call members. @internal */
export type ExchangeInit = RequestInit & { deadline?: number; waitUntil?: WaitUntil };

/** True for bodies that `fetch` can send again: everything but streams (and exotic iterables). @internal */
export function isReplayableBody(body: BodyInit | null | undefined): boolean {
  return body == null || typeof body === "string" || ArrayBuffer.isView(body) ||
    [ArrayBuffer, Blob, URLSearchParams, FormData].some((type) => body instanceof type);
}

/** Methods a retry may repeat after a failure that could have reached the server. */
const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"];
const REDIRECTS = [301, 302, 303, 307, 308];
/** Headers dropped when a redirect leaves the API origin: X-Client and what fetch itself drops there. */
const LEFT_BEHIND = ["x-client", "authorization", "cookie", "proxy-authorization"];
/** Dropped (as `content-<name>`) when a redirect turns the request into a GET without a body. */
const BODY_HEADERS = ["type", "length", "encoding", "language", "location"];

/**
 * After `fetch` failed with `error`: whether the caller's input is at fault (a GET or HEAD with a body,
 * or a request the platform refuses to build, such as a malformed method). Then `error`, the
 * platform's own `TypeError`, is marked so that it surfaces as it is, at once, and is never taken for a
 * network failure. Only runs on failures. @internal
 */
export function isMistake(error: unknown, href: string, init: RequestInit): boolean {
  if (!(error instanceof TypeError)) return false;
  let mistake = (init.method === "GET" || init.method === "HEAD") && init.body != null; // Bun builds those
  if (!mistake) {
    try {
      // A stream body may be used up by the failed attempt: a stand-in keeps "there is a body".
      new Request(href, { ...init, signal: null, body: init.body instanceof ReadableStream ? "" : init.body });
    } catch (refused) {
      mistake = refused instanceof TypeError;
    }
  }
  if (mistake) callerMistake(error);
  return mistake;
}

/**
 * True for a 401 that refused `token` for its audience: the token lacks the audience the API expects,
 * and the challenge says nothing else (a description that names neither the audience nor the resource,
 * such as "the token was revoked", is another refusal: renewed and replayed as any 401). @internal
 */
export function forAudience(response: Response, token: string, source: TokenSource): boolean {
  if (response.status !== 401 || !source.lacksAudience(token)) return false;
  const said = challengeOf(response)?.error_description;
  return !said || /audience|resource/i.test(said);
}

/**
 * Sends a request: to the API origin with our headers and token, anywhere else as it is. Reports the
 * token used (for redaction).
 *
 * On the API origin, redirects are followed by hand when `redirect` is `"follow"`: the bearer token is
 * dropped for good once a redirect leaves the API origin. A retry or the replay repeats the request as
 * it was sent last (URL, method, body, token). Retries follow the client's policy: 429 and 503 always,
 * 502, 504, timeouts and network errors only when a repeat is harmless, never with a body that cannot
 * be sent again. A 401 to our token makes the client renew it and send once more. @internal
 */
export async function exchange(
  transport: Transport,
  url: URL,
  init: ExchangeInit | undefined,
  request?: Request,
): Promise<{ response: Response; bearer?: string; attempt?: AbortController }> {
  const { settings, retry, source } = transport;
  let href = url.href; // read once: URL getters are not free (workerd)
  if (!href.startsWith(`${settings.apiOrigin}/`)) return { response: await settings.fetch(request ?? url, init) };
  let method = (init?.method ?? request?.method ?? "GET").toUpperCase();
  let body = init?.body ?? null;
  if (init?.body === undefined && request?.body && method !== "GET" && method !== "HEAD") {
    body = await request.arrayBuffer(); // read once so the body can be replayed
  }
  const replayable = isReplayableBody(body); // the body as given: a stream is never sent twice
  // A stream fetch cannot send (locked, already read) is the caller's TypeError, before anything is sent
  // (the platform's own where it checks; workerd does not check a locked one).
  if (body instanceof ReadableStream) {
    if (body.locked) throw new TypeError("The request body is a locked stream: it is being read already");
    new Request(href, { method, body, duplex: "half" } as RequestInit);
  }
  const redirect = init?.redirect ?? request?.redirect ?? "follow";
  const signal = init?.signal ?? request?.signal ?? undefined;
  const given = init?.headers ?? request?.headers;
  const headers = new Headers(given);
  for (const [name, value] of settings.headers) if (!headers.has(name)) headers.set(name, value);
  headers.set("x-client", X_CLIENT);
  const tokenRequest = { signal, deadline: init?.deadline, waitUntil: init?.waitUntil };
  // A fresh cached token is taken as it is (no promise); anything else goes through the cache.
  let token = headers.has("authorization") ? undefined : source.fresh?.() ?? await source.token(tokenRequest);
  let bearer = token; // on the current hop: `headers` carries it as Authorization
  // The last hop's own controller: aborting it ends the body of the answer too (the JSON helpers'
  // deadline for reading it needs no signal of its own).
  let last: AbortController | undefined;

  /** One attempt, following redirects; leaves `url`, `method`, `body` and `bearer` as sent last. */
  async function send(): Promise<Response> {
    for (let hops = 0;; hops++) {
      if (bearer !== undefined) headers.set("authorization", `Bearer ${bearer}`);
      const response = await withDeadline(
        "API request",
        settings.timeout,
        signal,
        (attemptSignal) => {
          const sent: RequestInit = {
            ...init, // other members (`cache`, `keepalive`, …) pass through; ours win
            method,
            headers,
            body,
            redirect: "manual",
            // The caller's signal also reaches the body after the headers (as with fetch): aborting
            // closes the connection. The attempt's own signal ends the attempt on a timeout.
            // (Where AbortSignal.any is missing, as in Vercel's Edge runtime, the attempt's signal only.)
            // (No timeout: the caller's signal alone.)
            signal: !attemptSignal
              ? signal
              : signal && AbortSignal.any
              ? AbortSignal.any([signal, attemptSignal])
              : attemptSignal,
            // A stream body needs `duplex` (Node, Deno); without one the member stays out.
            ...(body instanceof ReadableStream && { duplex: "half" }),
          };
          return settings.fetch(href, sent).catch((error: unknown) => {
            isMistake(error, href, sent);
            throw error;
          });
        },
        url,
        last = new AbortController(),
      );
      const { status } = response;
      const location = response.headers.get("location");
      if (redirect !== "follow" || !REDIRECTS.includes(status) || location === null) return response;
      let next: URL | undefined;
      try {
        next = new URL(location, url);
      } catch { /* unusable */ }
      if (hops === MAX_REDIRECTS || !next || (next.protocol !== "https:" && next.protocol !== "http:")) {
        await response.body?.cancel();
        const problem = hops === MAX_REDIRECTS ? `more than ${MAX_REDIRECTS} times` : "to an unusable location";
        throw new RapidataError("ERR_REDIRECT", `Rapidata API request was redirected ${problem}`);
      }
      // 303 turns anything but GET / HEAD into a GET, 301 and 302 turn a POST into one (as fetch does).
      if (status === 303 ? method !== "GET" && method !== "HEAD" : status < 303 && method === "POST") {
        method = "GET";
        body = null;
        for (const name of BODY_HEADERS) headers.delete(`content-${name}`);
      } else if (!isReplayableBody(body)) {
        return response; // a stream cannot be sent twice: hand the redirect to the caller
      }
      await response.body?.cancel();
      // Leaving the origin: what a plain fetch would send there. Our headers go for good, and so do the
      // credentials fetch drops on a cross-origin redirect (ours never reaches another host).
      if (next.origin !== url.origin) {
        bearer = undefined;
        // Worked out here, not per call: the defaults the caller did not set itself are ours.
        const own = new Headers(given);
        for (const [name] of settings.headers) if (!own.has(name)) headers.delete(name);
        for (const name of LEFT_BEHIND) headers.delete(name);
      }
      url = next;
      href = next.href;
    }
  }

  // Looked at only when a failure could be retried (not on every call).
  const idempotent = () => IDEMPOTENT.includes(method) || headers.has("idempotency-key");
  const attempt = () =>
    withRetries(
      retry,
      "api",
      send,
      // 429 / 503: the server did not process the request. The rest only when a repeat is harmless.
      (status, transient) =>
        isReplayableBody(body) &&
        (status === 429 || status === 503 || ((status === 502 || status === 504 || transient) && idempotent())),
      { signal, deadline: init?.deadline },
    );
  let response = await attempt();
  // A 401 to our token (still sent on the last hop): every layer forgets it; renew and send once more.
  // (Only with another token: a source that can give none, such as an unchanged token file, gets the 401.
  // Not for a token without the API's audience: a new one with the same scope would lack it too.)
  if (
    response.status === 401 && bearer !== undefined && source.renewable && replayable &&
    !forAudience(response, token!, source)
  ) {
    // Memory forgets at once; telling a store or broker may take its bound, which the caller's signal ends.
    await untilAborted(source.rejected(token!), signal);
    const renewed = await source.token(tokenRequest);
    if (renewed !== token) {
      await response.body?.cancel();
      retry.emit({ type: "replay", status: 401 });
      bearer = token = renewed;
      response = await attempt();
    }
  }
  return { response, bearer: token, attempt: last };
}
