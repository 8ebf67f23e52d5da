/**
 * `createClient`: composes the token source, the transport and the JSON helpers out of the options
 * resolved once (`src/options.ts`).
 *
 * @module
 */

import { RapidataApiError, RapidataTimeoutError, redact } from "./errors.ts";
import { readText } from "./http/body.ts";
import { challengeOf } from "./http/challenge.ts";
import { failure, race, untilAborted } from "./http/deadline.ts";
import { exchange, forAudience, isReplayableBody, type Sent, type Transport } from "./http/transport.ts";
import { type Query, resolveUrl, withQuery } from "./http/url.ts";
import { showOnly } from "./internal/hide.ts";
import { onlyKnown } from "./internal/known.ts";
import { type ClientOptions, type ResolvedOptions, resolveOptions, type Runtime } from "./options.ts";
import { clientCredentialsSource } from "./token/client_credentials.ts";
import { audienceCheck, fixedTokenSource, type TokenSource, type WaitUntil } from "./token/source.ts";

export type { ClientOptions } from "./options.ts";

/** `fetch`'s init, plus a `deadline` for retries. */
export interface RapidataRequestInit extends RequestInit {
  /** No retry starts if its wait would end after this time (epoch ms, the client's clock). @default undefined */
  deadline?: number;
  /**
   * Workers' `ctx.waitUntil` (bound): keeps a background token renewal this call starts alive after the
   * response (renewals always run in the background; with the `workerd` export condition the runtime's
   * own `waitUntil` is used when this is absent). @default undefined
   */
  waitUntil?: WaitUntil;
}

/** Options of one JSON helper call. */
export interface RequestOptions {
  /** Query parameters, appended to any query already in the path. @default undefined */
  query?: Query;
  /** Headers for this call, over the client's defaults. @default undefined */
  headers?: HeadersInit;
  /** Cancels the call; surfaces as the platform's `AbortError`. @default undefined */
  signal?: AbortSignal;
  /** No retry starts if its wait would end after this time (epoch ms, the client's clock). @default undefined */
  deadline?: number;
  /**
   * Workers' `ctx.waitUntil` (bound): keeps a background token renewal this call starts alive after the
   * response (renewals always run in the background; with the `workerd` export condition the runtime's
   * own `waitUntil` is used when this is absent). @default undefined
   */
  waitUntil?: WaitUntil;
}

/** A Rapidata API client: see {@link createClient}. */
export interface RapidataClient {
  /**
   * `fetch` with Rapidata authentication. Paths starting with `/` resolve against the API base; the
   * bearer token goes only to the API origin. Returns the plain `Response` (no status check).
   * A 401 makes the client renew the token and replay the request once (not for stream bodies).
   */
  readonly fetch: (input: string | URL | Request, init?: RapidataRequestInit) => Promise<Response>;
  /** GET `path`, parse the JSON answer; non-2xx throws `RapidataApiError`. 204 gives `undefined`. */
  get<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /** POST `body` (JSON-encoded unless it is FormData, Blob, URLSearchParams, bytes or a stream). */
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  /** PUT, like {@link RapidataClient.post}. */
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  /** PATCH, like {@link RapidataClient.post}. */
  patch<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  /** DELETE `path`, like {@link RapidataClient.get}. */
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /** The current access token (cached, renewed ahead of expiry). */
  accessToken(options?: { signal?: AbortSignal; deadline?: number; waitUntil?: WaitUntil }): Promise<string>;
  /** The API base URL this client calls. */
  readonly apiUrl: string;
  /** The token endpoint this client uses. */
  readonly tokenEndpoint: string;
}

/** The members of {@link RequestOptions} (any other is a misspelling). */
export const REQUEST_OPTIONS = ["query", "headers", "signal", "deadline", "waitUntil"];
/** The members of `accessToken`'s options. */
const TOKEN_OPTIONS = ["signal", "deadline", "waitUntil"];

/** Of an error answer's body at most this much is read and kept in the error (`truncated` beyond it). */
export const ERROR_BODY_LIMIT = 64 * 1024;

/** The human-readable part of an API error body: a ProblemDetails `detail` / `title`, or similar. @internal */
export function messageOf(details: unknown): string | undefined {
  if (typeof details === "string") return details.length <= 200 ? details : undefined;
  for (const field of ["detail", "title", "message", "error"]) {
    const value = (details as Record<string, unknown> | null | undefined)?.[field];
    if (typeof value === "string" && value) return value;
  }
}

/**
 * Creates a Rapidata API client. Options are validated here: misuse throws a `TypeError` that names
 * the option. No request is made until the first call.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 *
 * const rapidata = createClient({ clientId: "my-id", clientSecret: "my-secret" });
 * const response = await rapidata.fetch("/orders?page=1");
 * const orders = await rapidata.get<{ items: unknown[] }>("/orders", { query: { page: 1 } });
 * ```
 */
export function createClient(options: ClientOptions): RapidataClient {
  return createClientFor(resolveOptions(options));
}

/** `createClient` for a runtime whose entry point adds something (workerd: `waitUntil`). @internal */
export function createRuntimeClient(options: ClientOptions, runtime: Runtime): RapidataClient {
  return createClientFor(resolveOptions(options, runtime));
}

/** The token source the resolved options describe: the fixed token, or client credentials. @internal */
export function sourceOf(resolved: ResolvedOptions): TokenSource {
  const { fixed, grant } = resolved;
  return fixed
    ? fixedTokenSource(fixed.token, fixed.expiresAt, resolved.now, audienceCheck(resolved.audience, resolved.emit))
    : clientCredentialsSource({ ...resolved, grant: grant!, authUrl: resolved.endpoints.authUrl });
}

/**
 * A client on resolved options and a token source (the Node entry brings its token file source);
 * `description` is what JSON and inspection show of it. @internal
 */
export function createClientFor(
  resolved: ResolvedOptions,
  source: TokenSource = sourceOf(resolved),
  description: Record<string, unknown> = {
    apiUrl: resolved.endpoints.apiUrl,
    tokenEndpoint: resolved.endpoints.tokenEndpoint,
    clientId: resolved.grant?.clientId,
    scope: resolved.grant?.scope,
  },
): RapidataClient {
  const { apiUrl, tokenEndpoint } = resolved.endpoints;
  const transport: Transport = { settings: resolved.transport, retry: resolved.retry, source };
  const { timeout, native, apiPrefix } = resolved.transport;
  const secrets = [resolved.grant?.clientSecret, resolved.fixed?.token];

  async function json<T>(method: string, path: string, options: RequestOptions = {}, body?: unknown): Promise<T> {
    onlyKnown(options, REQUEST_OPTIONS, method.toLowerCase());
    const href = withQuery(resolveUrl(path, apiUrl, apiPrefix), options.query);
    const headers = new Headers(options.headers);
    // JSON unless it is something `fetch` sends as it is (a string is JSON-encoded too) or no body at all.
    const encode =
      !(body instanceof ReadableStream || (typeof body !== "string" && isReplayableBody(body as BodyInit)));
    if (!headers.has("accept")) headers.set("accept", "application/json");
    if (encode && !headers.has("content-type")) headers.set("content-type", "application/json");
    const payload = encode ? JSON.stringify(body) : body as BodyInit | undefined ?? null;
    const sent: Sent = {};
    const response = await exchange(transport, href, { ...options, method, headers, body: payload }, undefined, sent);
    const { bearer, attempt } = sent;
    // The body gets the timeout again. From the platform's fetch a 2xx is read whole (`text()`, the
    // fastest way: a reader costs ~20 µs a call in workerd); the attempt's own signal, aborted by the
    // timeout or the caller, ends it and closes the connection. Anything else is read through a reader
    // that the timeout and the caller's abort cancel (a fetch of your own may ignore signals), and of an
    // error answer at most ERROR_BODY_LIMIT bytes. A body cut off mid-way is ERR_NETWORK too (the
    // platform's error is the cause).
    const expired = () => new RapidataTimeoutError("API request", timeout!);
    // (`attempt` is missing for a URL of another host, sent as it is: its body goes to the reader.)
    const { text, truncated } =
      await (response.ok && native && attempt
        ? (timeout === undefined
          ? untilAborted(response.text(), options.signal)
          : race(timeout, expired, options.signal, () => response.text(), attempt)).then((text) => ({
            text,
            truncated: false,
          }))
        : readText(response, response.ok ? Infinity : ERROR_BODY_LIMIT, options.signal, timeout, expired)).catch(
          (cause: unknown) => {
            throw failure("API request", new URL(href), options.signal, cause);
          },
        );
    const what = () => `Rapidata API ${method} ${new URL(href).pathname}`; // (for errors only: a parse costs)
    const hidden = [...secrets, bearer];
    if (!response.ok) {
      let details: unknown = text ? redact(text, hidden) : undefined;
      try {
        if (!truncated) details = JSON.parse(details as string);
      } catch { /* keep the text (or nothing) */ }
      const found = challengeOf(response);
      // What a server echoes back (the token, say) is redacted here too.
      const clean = (text: string | undefined) => text && redact(text, hidden);
      const challenge = found &&
        { ...found, error: clean(found.error), error_description: clean(found.error_description) };
      const said = challenge?.error_description;
      const message = [messageOf(details) || response.statusText, said].filter(Boolean).join(": ");
      const extra = {
        details,
        truncated,
        challenge,
        secrets: hidden,
      };
      // A token without the API's audience: the fix is the scope, not another token.
      if (bearer !== undefined && forAudience(response, bearer, source)) {
        throw new RapidataApiError(
          "ERR_AUDIENCE",
          `${what()} refused the token (HTTP 401${message ? `: ${message}` : ""}): it lacks the audience ` +
            `${resolved.audience}. Request the "api" scope (for example scope: "openid email api")`,
          response,
          extra,
        );
      }
      throw new RapidataApiError(
        "ERR_API_RESPONSE",
        `${what()} failed with HTTP ${response.status}${message ? `: ${message}` : ""}`,
        response,
        extra,
      );
    }
    if (text === "") return undefined as T; // also every 204 / 205: a Response cannot give those a body
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RapidataApiError(
        "ERR_API_BODY",
        `${what()} answered HTTP ${response.status} with a non-JSON body`,
        response,
        { secrets: hidden },
      );
    }
  }

  const client: RapidataClient = {
    fetch: (input, init) => {
      try {
        // A `Request`, also one from another realm or `fetch` implementation.
        const request =
          typeof (input as Request | undefined)?.url === "string" && typeof (input as Request).method === "string"
            ? input as Request
            : undefined;
        const href = resolveUrl(request ? request.url : input instanceof URL ? input.href : input, apiUrl, apiPrefix);
        return exchange(transport, href, init, request); // (no promise of its own: the direct path's)
      } catch (error) {
        return Promise.reject(error); // (a misuse: a rejection, as from fetch)
      }
    },
    get: (path, options) => json("GET", path, options),
    post: (path, body, options) => json("POST", path, options, body),
    put: (path, body, options) => json("PUT", path, options, body),
    patch: (path, body, options) => json("PATCH", path, options, body),
    delete: (path, options) => json("DELETE", path, options),
    accessToken: async (options = {}) => {
      onlyKnown(options, TOKEN_OPTIONS, "accessToken");
      return await source.token(options);
    },
    apiUrl,
    tokenEndpoint,
  };
  return Object.freeze(showOnly(client, "RapidataClient", description));
}
