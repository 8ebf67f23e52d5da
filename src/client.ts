/**
 * `createClient`: options validation, the authenticated `fetch`, and the JSON helpers.
 *
 * @module
 */

import { type ClientAuthentication, type GrantConfig, requestToken } from "./client_credentials.ts";
import { withDeadline } from "./deadline.ts";
import { DEFAULT_SCOPE, resolveEndpoints } from "./environments.ts";
import { invalidOption, RapidataApiError, RapidataAuthError, redact } from "./errors.ts";
import { cacheKey, getToken, type TokenCacheOptions } from "./token_cache.ts";
import { isReplayableBody, type Outgoing, send, type TransportConfig, X_CLIENT } from "./transport.ts";
import { appendQuery, type Query, resolveUrl } from "./url.ts";

/**
 * Options of {@link createClient}. Give either `clientId` + `clientSecret` (tokens are fetched and
 * renewed for you) or `token` (used as is, never renewed).
 */
export interface ClientOptions {
  /** OAuth client id from Rapidata. Required unless `token` is given. */
  clientId?: string;
  /** OAuth client secret from Rapidata. Required unless `token` is given. Never logged or serialised. */
  clientSecret?: string;
  /** A pre-fetched access token, used as is and never refreshed. Excludes `clientId`/`clientSecret`. */
  token?: string;
  /**
   * When `token` expires, in epoch seconds; after that calls fail with `RapidataAuthError`
   * (`ERR_TOKEN_EXPIRED`).
   * @default undefined (the token is assumed valid)
   */
  expiresAt?: number;
  /**
   * The Rapidata environment, a domain: `"rapidata.ai"` (production), `"rabbitdata.ch"` (test),
   * `"rapidata.dev"` (local) or any other. API `https://api.<env>`, token endpoint
   * `https://auth.<env>/connect/token`.
   * @default "rapidata.ai"
   */
  environment?: string;
  /**
   * API base URL, overriding the environment's (for proxies and tests; may include a path prefix).
   * `http:` is refused unless the host is loopback.
   * @default `https://api.<environment>`
   */
  apiUrl?: string | URL;
  /**
   * Auth base URL, overriding the environment's; the token endpoint is `<authUrl>/connect/token`.
   * `http:` is refused unless the host is loopback.
   * @default `https://auth.<environment>`
   */
  authUrl?: string | URL;
  /**
   * Space-separated scopes to request. Keep `api` in it: that scope is what makes the identity server
   * issue tokens whose audience is the Rapidata API (`https://api.rapidata.ai`).
   * @default DEFAULT_SCOPE ("openid email api")
   */
  scope?: string;
  /**
   * How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
   * @default "client_secret_basic"
   */
  clientAuthentication?: ClientAuthentication;
  /**
   * Seconds before expiry at which a cached token is renewed. Capped at half a token's lifetime.
   * @default 60
   */
  leeway?: number;
  /**
   * Milliseconds one HTTP attempt may take (token request or API call, each redirect hop); a JSON
   * helper allows the same again for reading the body.
   * @default 30000
   */
  timeout?: number;
  /**
   * The `fetch` every request of this client goes through.
   * @default globalThis.fetch
   */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /**
   * Extra headers sent with every API call (not with other hosts, not to the token endpoint).
   * Must not contain `Authorization`.
   * @default {}
   */
  headers?: HeadersInit;
  /**
   * The clock for token expiry, in epoch milliseconds. For tests that need to move time.
   * @default Date.now
   */
  now?: () => number;
}

/** Options of one JSON helper call. */
export interface RequestOptions {
  /** Query parameters, appended to any query already in the path. @default undefined */
  query?: Query;
  /** Headers for this call, over the client's defaults. @default undefined */
  headers?: HeadersInit;
  /** Cancels the call; surfaces as the platform's `AbortError`. @default undefined */
  signal?: AbortSignal;
}

/** A Rapidata API client: see {@link createClient}. */
export interface RapidataClient {
  /**
   * `fetch` with Rapidata authentication. Paths starting with `/` resolve against the API base; the
   * bearer token goes only to the API origin. Returns the plain `Response` (no status check).
   * A 401 makes the client renew the token and replay the request once (not for stream bodies).
   */
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
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
  accessToken(options?: { signal?: AbortSignal }): Promise<string>;
  /** The API base URL this client calls. */
  readonly apiUrl: string;
  /** The token endpoint this client uses. */
  readonly tokenEndpoint: string;
}

/** `RequestInit` members the client handles itself; any other is passed through to `fetch`. */
const KNOWN_INIT = ["method", "headers", "body", "signal", "redirect", "duplex", "window"];
const AUTHENTICATIONS: readonly unknown[] = ["client_secret_basic", "client_secret_post"];

function optionalNumber(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || (value as number) < min) invalidOption(field, `must be a finite number >= ${min}`);
  return value as number;
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") invalidOption(field, "must be a non-empty string");
  return value;
}

/** A `Request`, also one from another realm or `fetch` implementation. */
function isRequest(value: unknown): value is Request {
  return typeof (value as Request | undefined)?.url === "string" && typeof (value as Request).method === "string";
}

/** True for what the JSON helpers send as it is (and for no body at all); anything else is JSON. */
function isBodyInit(value: unknown): value is BodyInit | undefined {
  return value instanceof ReadableStream || (typeof value !== "string" && isReplayableBody(value as BodyInit));
}

function setDefault(headers: Headers, name: string, value: string): void {
  if (!headers.has(name)) headers.set(name, value);
}

/** The human-readable part of an API error body: a ProblemDetails `detail` / `title`, or similar. */
function messageOf(details: unknown): string | undefined {
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
  if (options === null || typeof options !== "object") throw new TypeError("createClient: options must be an object");
  const { apiBase, tokenEndpoint, issuer } = resolveEndpoints(options.environment, options.apiUrl, options.authUrl);
  const staticToken = options.token === undefined ? undefined : nonEmpty(options.token, "token");
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  if (staticToken === undefined) {
    if (options.clientId === undefined && options.clientSecret === undefined) {
      throw new TypeError(`createClient: give "clientId" and "clientSecret" (or a pre-fetched "token")`);
    }
    clientId = nonEmpty(options.clientId, "clientId");
    clientSecret = nonEmpty(options.clientSecret, "clientSecret");
    if (options.expiresAt !== undefined) invalidOption("expiresAt", `is only allowed together with "token"`);
  } else if (options.clientId !== undefined || options.clientSecret !== undefined) {
    invalidOption("token", `excludes "clientId" and "clientSecret"`);
  }
  const expiresAt = optionalNumber(options.expiresAt, "expiresAt", Infinity, 0);
  for (const [field, type] of [["scope", "string"], ["fetch", "function"], ["now", "function"]] as const) {
    if (options[field] !== undefined && typeof options[field] !== type) invalidOption(field, `must be a ${type}`);
  }
  const scope = options.scope?.trim().replace(/\s+/g, " ") ?? DEFAULT_SCOPE;
  const clientAuthentication = options.clientAuthentication ?? "client_secret_basic";
  if (!AUTHENTICATIONS.includes(clientAuthentication)) {
    invalidOption("clientAuthentication", `must be "client_secret_basic" or "client_secret_post"`);
  }
  const leeway = optionalNumber(options.leeway, "leeway", 60, 0);
  const timeout = Math.min(optionalNumber(options.timeout, "timeout", 30_000, 1), 2_147_483_647);
  let defaultHeaders: Headers;
  try {
    defaultHeaders = new Headers(options.headers);
  } catch {
    invalidOption("headers", "must be a valid HeadersInit");
  }
  if (defaultHeaders.has("authorization")) invalidOption("headers", "must not contain Authorization");
  const userFetch = options.fetch;
  const now = options.now ?? Date.now;

  const apiOrigin = new URL(apiBase).origin;
  const config: GrantConfig & TransportConfig = {
    tokenEndpoint,
    issuer,
    clientId: clientId!,
    clientSecret: clientSecret!,
    scope,
    clientAuthentication,
    // Called without a receiver, and the global looked up per call (it may be replaced later).
    fetch: (input, init) => userFetch ? userFetch(input as string | URL | Request, init) : fetch(input, init),
    timeout,
    now,
    apiOrigin,
  };
  const secrets = [clientSecret, staticToken];
  let cacheOptions: TokenCacheOptions | undefined;

  /** Our token: the fixed one, else the cached one (`rejected` is a token the API has refused). */
  async function currentToken(signal?: AbortSignal, rejected?: string): Promise<string> {
    if (staticToken !== undefined) {
      if (now() >= expiresAt * 1000) {
        throw new RapidataAuthError("ERR_TOKEN_EXPIRED", "The access token given to createClient has expired");
      }
      return staticToken;
    }
    // Computed once per client, but no caller ever awaits another request's promise (Workers hazard).
    cacheOptions ??= {
      key: await cacheKey(tokenEndpoint, clientId!, clientSecret!, scope),
      leeway,
      now,
      stallAfter: Math.min(timeout, 5_000),
      fetchToken: () => requestToken(config),
    };
    return (await getToken(cacheOptions, signal, rejected)).token;
  }

  /**
   * Sends a request: to the API origin with our headers and token (one renewal + replay on a 401),
   * elsewhere as it is. Reports the token sent.
   */
  async function exchange(
    url: URL,
    init: RequestInit | undefined,
    request?: Request,
  ): Promise<{ response: Response; bearer?: string }> {
    if (url.origin !== apiOrigin) return { response: await config.fetch(request ?? url, init) };
    const extra: Record<string, unknown> = {};
    for (const key in init) if (!KNOWN_INIT.includes(key)) extra[key] = init[key as keyof RequestInit];
    const pick = <K extends "method" | "headers" | "redirect" | "signal">(key: K) => init?.[key] ?? request?.[key];
    const method = (pick("method") ?? "GET").toUpperCase();
    let body = init?.body ?? null;
    if (init?.body === undefined && request?.body && method !== "GET" && method !== "HEAD") {
      body = await request.arrayBuffer(); // read once so the body can be replayed
    }
    const req: Outgoing = {
      url,
      method,
      headers: new Headers(pick("headers")),
      body,
      replayable: isReplayableBody(body),
      redirect: pick("redirect") ?? "follow",
      signal: pick("signal") ?? undefined,
      extra,
    };
    for (const [name, value] of defaultHeaders) setDefault(req.headers, name, value);
    req.headers.set("x-client", X_CLIENT);
    if (req.headers.has("authorization")) return send(config, req, undefined);
    const token = await currentToken(req.signal);
    const first = await send(config, req, token);
    if (first.response.status !== 401 || !first.bearerSent || staticToken !== undefined || !req.replayable) {
      return { response: first.response, bearer: token };
    }
    await first.response.body?.cancel();
    const fresh = await currentToken(req.signal, token);
    return { response: (await send(config, req, fresh)).response, bearer: fresh };
  }

  async function json<T>(method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    if (typeof path !== "string") throw new TypeError(`${method.toLowerCase()}: "path" must be a string`);
    const url = resolveUrl(path, apiBase);
    appendQuery(url, options.query);
    const headers = new Headers(options.headers);
    const encode = !isBodyInit(body);
    setDefault(headers, "accept", "application/json");
    if (encode) setDefault(headers, "content-type", "application/json");
    const signal = options.signal;
    const payload = encode ? JSON.stringify(body) : body ?? null;
    const { response, bearer } = await exchange(url, { method, headers, body: payload, signal });
    const text = await withDeadline("API request", timeout, signal, () => response.text()).catch(async (error) => {
      await response.body?.cancel().catch(() => {});
      throw error;
    });
    const { status } = response;
    const what = `Rapidata API ${method} ${url.pathname}`;
    const traceId = response.headers.get("x-trace-id") ?? undefined;
    if (!response.ok) {
      let details: unknown;
      if (text) {
        details = redact(text, [...secrets, bearer]);
        try {
          details = JSON.parse(details as string);
        } catch { /* keep the text */ }
      }
      const bodyTrace = (details as { traceId?: unknown } | undefined)?.traceId;
      const message = messageOf(details) || response.statusText;
      throw new RapidataApiError(
        "ERR_API_RESPONSE",
        `${what} failed with HTTP ${status}${message ? `: ${message}` : ""}`,
        {
          status,
          details,
          traceId: traceId ?? (typeof bodyTrace === "string" ? bodyTrace : undefined),
          response,
        },
      );
    }
    if (text === "") return undefined as T; // also every 204 / 205: a Response cannot give those a body
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RapidataApiError("ERR_API_BODY", `${what} answered HTTP ${status} with a non-JSON body`, {
        status,
        traceId,
        response,
      });
    }
  }

  const withoutBody = (method: string) => <T>(path: string, options?: RequestOptions) =>
    json<T>(method, path, undefined, options);
  const withBody = (method: string) => <T>(path: string, body?: unknown, options?: RequestOptions) =>
    json<T>(method, path, body, options);
  const description = { apiUrl: apiBase, tokenEndpoint, clientId: clientId ?? "(fixed token)", scope };
  const client: RapidataClient = {
    fetch: async (input, init) => {
      const request = isRequest(input) ? input : undefined;
      return (await exchange(resolveUrl(request ? request.url : input as string | URL, apiBase), init, request))
        .response;
    },
    get: withoutBody("GET"),
    post: withBody("POST"),
    put: withBody("PUT"),
    patch: withBody("PATCH"),
    delete: withoutBody("DELETE"),
    accessToken: (options) => currentToken(options?.signal),
    apiUrl: apiBase,
    tokenEndpoint,
  };
  const inspect = () => `RapidataClient ${JSON.stringify(description)}`;
  Object.defineProperties(client, {
    toJSON: { value: () => ({ ...description }) },
    [Symbol.for("nodejs.util.inspect.custom")]: { value: inspect },
    [Symbol.for("Deno.customInspect")]: { value: inspect },
  });
  return Object.freeze(client);
}
