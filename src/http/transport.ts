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
import { untilAborted, withDeadline } from "./deadline.ts";
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
  /** The last token sent and its `Bearer` header, made once per token (a JWT is ~1 KB to join). */
  bearer?: readonly [token: string, header: string];
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
 * platform's own `TypeError`, surfaces as it is, at once, and is never taken for a network failure.
 * Only runs on failures. @internal
 */
export function isMistake(error: unknown, href: string, init: RequestInit): boolean {
  if (!(error instanceof TypeError)) return false;
  if ((init.method === "GET" || init.method === "HEAD") && init.body != null) return true; // Bun builds those
  try {
    // A stream body may be used up by the failed attempt: a stand-in keeps "there is a body".
    new Request(href, { ...init, signal: null, body: init.body instanceof ReadableStream ? "" : init.body });
    return false;
  } catch (refused) {
    return refused instanceof TypeError;
  }
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

/** What an exchange tells the JSON helpers besides the answer. @internal */
export interface Sent {
  /** Our token, when it was sent on the last hop (for redaction). */
  bearer?: string;
  /** The last hop's own controller (on the API origin): aborting it ends the answer's body too. */
  attempt?: AbortController;
}

/**
 * Sends a request: to the API origin with our headers and token, anywhere else as it is. Reports the
 * token used (for redaction) and the last hop's controller in `sent`.
 *
 * On the API origin, redirects are followed by hand when `redirect` is `"follow"`: the bearer token is
 * dropped for good once a redirect leaves the API origin. A retry or the replay repeats the request as
 * it was sent last (URL, method, body, token). Retries follow the client's policy: 429 and 503 always,
 * 502, 504, timeouts and network errors only when a repeat is harmless, never with a body that cannot
 * be sent again. A 401 to our token makes the client renew it and send once more.
 *
 * The usual call (a fresh cached token, a 2xx answer) takes a direct path: one promise over the
 * platform's, no loop. Anything else continues on the full path from the first answer. Misuse found
 * before sending throws (the caller turns it into a rejection). @internal
 */
export function exchange(
  transport: Transport,
  href: string,
  init: ExchangeInit | undefined,
  request: Request | undefined,
  sent?: Sent,
): Promise<Response> {
  const { settings, retry, source } = transport;
  let origin = settings.apiOrigin; // of the current hop
  if (!href.startsWith(settings.apiPrefix)) return settings.fetch(request ?? href, init);
  let method = init?.method ?? request?.method ?? "GET";
  if (method !== "GET") method = method.toUpperCase();
  let body = init?.body ?? null;
  // A Request's body is read once, so that it can be replayed.
  const unread = init?.body === undefined && request?.body && method !== "GET" && method !== "HEAD";
  // A stream fetch cannot send (locked, already read) is the caller's TypeError, before anything is sent
  // (the platform's own where it checks; workerd does not check a locked one).
  if (body instanceof ReadableStream) {
    if (body.locked) throw new TypeError("The request body is a locked stream: it is being read already");
    new Request(href, { method, body, duplex: "half" } as RequestInit);
  }
  const redirect = init?.redirect ?? request?.redirect ?? "follow";
  const signal = init?.signal ?? request?.signal ?? undefined;
  const given = init?.headers ?? request?.headers;
  // No headers of the caller's or the client's (the usual call): a plain record, cheaper than Headers
  // to make and to send (the full path makes Headers of it).
  let headers: Headers | Record<string, string>;
  if (given === undefined && !settings.headers.length) {
    headers = { "x-client": X_CLIENT };
  } else {
    headers = new Headers(given);
    for (const [name, value] of settings.headers) if (!headers.has(name)) headers.set(name, value);
    headers.set("x-client", X_CLIENT);
  }
  // The caller's own Authorization: no token of ours.
  const theirs = headers instanceof Headers && headers.has("authorization");
  // A fresh cached token is taken as it is (no promise); anything else goes through the cache.
  let token = theirs ? undefined : source.fresh?.();
  let bearer = token; // on the current hop: `headers` carries it as Authorization
  /** The first hop's answer (or failure) when the direct path hands over. */
  let first: Promise<Response> | undefined;

  /** One hop: the request as it stands, under the deadline; `then` / `fail` see its outcome. */
  function hop<R = Response>(
    then?: (response: Response) => R | PromiseLike<R>,
    fail?: (error: unknown) => R | PromiseLike<R>,
  ): Promise<R> {
    if (bearer !== undefined) {
      const last = transport.bearer; // `Bearer <token>`, made once per token
      const value = last?.[0] === bearer ? last[1] : (transport.bearer = [bearer, `Bearer ${bearer}`])[1];
      if (headers instanceof Headers) headers.set("authorization", value);
      else headers.authorization = value;
    }
    const at = href;
    let asSent: RequestInit | undefined;
    return withDeadline(
      "API request",
      settings.timeout,
      signal,
      (attemptSignal) => {
        asSent = {
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
        };
        // A stream body needs `duplex` (Node, Deno); without one the member stays out.
        if (body instanceof ReadableStream) (asSent as { duplex?: string }).duplex = "half";
        return settings.fetch(at, asSent);
      },
      origin,
      sent && (sent.attempt = new AbortController()),
      then,
      (error) => {
        // The caller's mistake surfaces as the platform's own TypeError, not as ERR_NETWORK.
        // (`error` is ours or the caller's abort reason, which may be anything, `null` too.)
        const cause = error instanceof RapidataError && error.code === "ERR_NETWORK" && error.cause;
        if (asSent && isMistake(cause, at, asSent)) error = cause;
        if (fail) return fail(error);
        throw error;
      },
    );
  }

  /** The full path: retries, redirects and the 401 replay (from the first hop's outcome when given). */
  async function full(): Promise<Response> {
    /**
     * One attempt, following redirects; leaves `href`, `method`, `body` and `bearer` as sent last.
     * (In here: the direct path does not make it.)
     */
    async function send(): Promise<Response> {
      for (let hops = 0;; hops++) {
        const pending = first ?? hop();
        first = undefined;
        const response = await pending;
        const { status } = response;
        const location = response.headers.get("location");
        if (redirect !== "follow" || !REDIRECTS.includes(status) || location === null) return response;
        let next: URL | undefined;
        try {
          next = new URL(location, href);
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
          for (const name of BODY_HEADERS) list.delete(`content-${name}`);
        } else if (!isReplayableBody(body)) {
          return response; // a stream cannot be sent twice: hand the redirect to the caller
        }
        await response.body?.cancel();
        // Leaving the origin: what a plain fetch would send there. Our headers go for good, and so do the
        // credentials fetch drops on a cross-origin redirect (ours never reaches another host).
        if (next.origin !== origin) {
          bearer = undefined;
          // Worked out here, not per call: the defaults the caller did not set itself are ours.
          const own = new Headers(given);
          for (const [name] of settings.headers) if (!own.has(name)) list.delete(name);
          for (const name of LEFT_BEHIND) list.delete(name);
        }
        origin = next.origin;
        href = next.href;
      }
    }

    const replayable = isReplayableBody(body); // the body as given: a stream is never sent twice
    const list = headers instanceof Headers ? headers : (headers = new Headers(headers));
    const tokenRequest = { signal, deadline: init?.deadline, waitUntil: init?.waitUntil };
    if (!first) {
      if (unread) body = await request!.arrayBuffer();
      if (!theirs && token === undefined) bearer = token = await source.token(tokenRequest);
    }
    // Looked at only when a failure could be retried (not on every call).
    const idempotent = () => IDEMPOTENT.includes(method) || list.has("idempotency-key");
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
    // (Only with another token: a source that can give none, such as an unchanged token file, gets the
    // 401. Not for a token without the API's audience: a new one with the same scope would lack it too.)
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
    if (sent) sent.bearer = token;
    return response;
  }

  if (unread || (!theirs && token === undefined)) return full();
  // The direct path: the first hop of the first attempt; a 2xx answer is the result as it is.
  if (sent) sent.bearer = token;
  return hop((response) => {
    if (response.status < 300) return response;
    first = Promise.resolve(response);
    return full();
  }, (error) => {
    first = Promise.reject(error);
    return full();
  });
}
