/**
 * `createClient`: options validation, the authenticated `fetch`, and the JSON helpers.
 *
 * @module
 */

import { type ClientAuthentication, requestToken } from "./client_credentials.ts";
import { withDeadline } from "./deadline.ts";
import { DEFAULT_SCOPE, resolveEndpoints } from "./environments.ts";
import { RapidataApiError, RapidataAuthError, redact } from "./errors.ts";
import { cacheKey, getToken, invalidateToken, type TokenCacheOptions } from "./token_cache.ts";
import { isReplayableBody, type Outgoing, send, type TransportConfig } from "./transport.ts";
import { appendQuery, type Query, resolveUrl } from "./url.ts";
import { VERSION } from "./version.ts";

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

const X_CLIENT = `RapidataFetch/${VERSION}`;
const KNOWN_INIT = new Set(["method", "headers", "body", "signal", "redirect", "duplex", "window"]);

function fail(field: string, rule: string): never {
  throw new TypeError(`createClient: "${field}" ${rule}`);
}

function optionalNumber(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    fail(field, `must be a finite number >= ${min}`);
  }
  return value;
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) fail(field, "must be a non-empty string");
  return value;
}

function isRequest(value: unknown): value is Request {
  return value instanceof Request ||
    (typeof value === "object" && value !== null && !(value instanceof URL) &&
      typeof (value as Request).url === "string" && typeof (value as Request).method === "string");
}

function isBodyInit(value: unknown): value is BodyInit {
  return value instanceof ReadableStream || (typeof value !== "string" && isReplayableBody(value as BodyInit));
}

function messageOf(details: unknown, status: number, statusText: string): string {
  if (details !== null && typeof details === "object") {
    const body = details as Record<string, unknown>;
    for (const field of ["detail", "title", "message", "error"]) {
      if (typeof body[field] === "string" && body[field]) return body[field] as string;
    }
  }
  if (typeof details === "string" && details && details.length <= 200) return details;
  return `HTTP ${status}${statusText ? ` ${statusText}` : ""}`;
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
  const endpoints = resolveEndpoints(options.environment, options.apiUrl, options.authUrl);
  const staticToken = options.token === undefined ? undefined : nonEmpty(options.token, "token");
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  if (staticToken === undefined) {
    if (options.clientId === undefined && options.clientSecret === undefined) {
      throw new TypeError(`createClient: give "clientId" and "clientSecret" (or a pre-fetched "token")`);
    }
    clientId = nonEmpty(options.clientId, "clientId");
    clientSecret = nonEmpty(options.clientSecret, "clientSecret");
    if (options.expiresAt !== undefined) fail("expiresAt", `is only allowed together with "token"`);
  } else if (options.clientId !== undefined || options.clientSecret !== undefined) {
    fail("token", `excludes "clientId" and "clientSecret"`);
  }
  const expiresAt = optionalNumber(options.expiresAt, "expiresAt", Infinity, 0);
  const scope = options.scope === undefined
    ? DEFAULT_SCOPE
    : typeof options.scope === "string"
    ? options.scope.trim().split(/\s+/).filter(Boolean).join(" ")
    : fail("scope", "must be a string of space-separated scopes");
  const clientAuthentication = options.clientAuthentication ?? "client_secret_basic";
  if (clientAuthentication !== "client_secret_basic" && clientAuthentication !== "client_secret_post") {
    fail("clientAuthentication", `must be "client_secret_basic" or "client_secret_post"`);
  }
  const leeway = optionalNumber(options.leeway, "leeway", 60, 0);
  const timeout = Math.min(optionalNumber(options.timeout, "timeout", 30_000, 1), 2_147_483_647);
  if (options.fetch !== undefined && typeof options.fetch !== "function") fail("fetch", "must be a function");
  if (options.now !== undefined && typeof options.now !== "function") fail("now", "must be a function");
  const userFetch = options.fetch;
  const fetchFn: typeof fetch = userFetch
    ? (input, init) => userFetch(input as string | URL | Request, init)
    : (input, init) => globalThis.fetch(input, init);
  const now = options.now ?? Date.now;
  let defaultHeaders: [string, string][];
  try {
    defaultHeaders = [...new Headers(options.headers)];
  } catch {
    fail("headers", "must be a valid HeadersInit (object, array of pairs or Headers)");
  }
  if (defaultHeaders.some(([name]) => name === "authorization")) fail("headers", "must not contain Authorization");

  const apiOrigin = new URL(endpoints.apiBase).origin;
  const transport: TransportConfig = { fetch: fetchFn, timeout, apiOrigin };
  const secrets = [clientSecret, staticToken];
  let cacheOptions: TokenCacheOptions | undefined;

  async function tokenOptions(): Promise<TokenCacheOptions> {
    if (cacheOptions) return cacheOptions;
    const grant = {
      tokenEndpoint: endpoints.tokenEndpoint,
      issuer: endpoints.issuer,
      clientId: clientId!,
      clientSecret: clientSecret!,
      scope,
      clientAuthentication,
      fetch: fetchFn,
      timeout,
      headers: { "x-client": X_CLIENT },
      now,
    };
    return cacheOptions = {
      key: await cacheKey(endpoints.tokenEndpoint, clientId!, clientSecret!, scope),
      leeway,
      now,
      stallAfter: Math.min(timeout, 5_000),
      fetchToken: () => requestToken(grant),
    };
  }

  async function currentToken(signal?: AbortSignal): Promise<string> {
    if (staticToken !== undefined) {
      if (now() >= expiresAt * 1000) {
        throw new RapidataAuthError("ERR_TOKEN_EXPIRED", "The access token given to createClient has expired");
      }
      return staticToken;
    }
    return (await getToken(cacheOptions ?? await tokenOptions(), signal)).token;
  }

  /** Sends an API-origin request with our token; one renewal + replay on 401. Reports the token sent. */
  async function authorized(req: Outgoing): Promise<{ response: Response; bearer?: string }> {
    for (const [name, value] of defaultHeaders) if (!req.headers.has(name)) req.headers.set(name, value);
    req.headers.set("x-client", X_CLIENT);
    if (req.headers.has("authorization")) return send(transport, req, undefined);
    const token = await currentToken(req.signal);
    const first = await send(transport, req, token);
    if (first.response.status !== 401 || !first.bearerSent || staticToken !== undefined || !req.replayable) {
      return { response: first.response, bearer: token };
    }
    await first.response.body?.cancel();
    invalidateToken(cacheOptions!.key, token);
    const fresh = await currentToken(req.signal);
    return { response: (await send(transport, req, fresh)).response, bearer: fresh };
  }

  async function clientFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = isRequest(input) ? input : undefined;
    const url = resolveUrl(request ? request.url : input as string | URL, endpoints.apiBase);
    if (url.origin !== apiOrigin) return fetchFn(request ?? url, init);
    const extra: RequestInit = {};
    for (const key in init) {
      if (!KNOWN_INIT.has(key)) (extra as Record<string, unknown>)[key] = (init as Record<string, unknown>)[key];
    }
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    let body: BodyInit | null = init?.body ?? null;
    if (init?.body === undefined && request?.body && method !== "GET" && method !== "HEAD") {
      body = await request.arrayBuffer(); // read once so the body can be replayed
    }
    const sent = await authorized({
      url,
      method,
      headers: new Headers(init?.headers ?? request?.headers),
      body,
      replayable: isReplayableBody(body),
      redirect: init?.redirect ?? request?.redirect ?? "follow",
      signal: init?.signal ?? request?.signal ?? undefined,
      extra,
    });
    return sent.response;
  }

  async function json<T>(method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    if (typeof path !== "string") throw new TypeError(`${method.toLowerCase()}: "path" must be a string`);
    const url = resolveUrl(path, endpoints.apiBase);
    appendQuery(url, options.query);
    const headers = new Headers(options.headers);
    if (!headers.has("accept")) headers.set("accept", "application/json");
    let payload: BodyInit | null = null;
    if (body !== undefined) {
      if (isBodyInit(body)) {
        payload = body;
      } else {
        payload = JSON.stringify(body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
    }
    const signal = options.signal;
    const { response, bearer } = url.origin === apiOrigin
      ? await authorized({
        url,
        method,
        headers,
        body: payload,
        replayable: isReplayableBody(payload),
        redirect: "follow",
        signal,
        extra: {},
      })
      : { response: await fetchFn(url, { method, headers, body: payload, signal }), bearer: undefined };
    const text = await withDeadline("API request", timeout, signal, () => response.text()).catch(async (error) => {
      await response.body?.cancel().catch(() => {});
      throw error;
    });
    const traceId = response.headers.get("x-trace-id") ?? undefined;
    if (!response.ok) {
      let details: unknown = text === "" ? undefined : redact(text, [...secrets, bearer]);
      try {
        details = JSON.parse(details as string);
      } catch { /* keep the text */ }
      const bodyTrace = (details as { traceId?: unknown } | undefined)?.traceId;
      const message = messageOf(details, response.status, response.statusText);
      throw new RapidataApiError(
        "ERR_API_RESPONSE",
        `Rapidata API ${method} ${url.pathname} failed with HTTP ${response.status}: ${message}`,
        {
          status: response.status,
          details,
          traceId: traceId ?? (typeof bodyTrace === "string" ? bodyTrace : undefined),
          response,
        },
      );
    }
    if (text === "" || response.status === 204 || response.status === 205) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RapidataApiError(
        "ERR_API_BODY",
        `Rapidata API ${method} ${url.pathname} answered HTTP ${response.status} with a body that is not JSON`,
        { status: response.status, traceId, response },
      );
    }
  }

  const description = {
    apiUrl: endpoints.apiBase,
    tokenEndpoint: endpoints.tokenEndpoint,
    clientId: clientId ?? "(fixed token)",
    scope,
  };
  const client: RapidataClient = {
    fetch: clientFetch,
    get: (path, options) => json("GET", path, undefined, options),
    post: (path, body, options) => json("POST", path, body, options),
    put: (path, body, options) => json("PUT", path, body, options),
    patch: (path, body, options) => json("PATCH", path, body, options),
    delete: (path, options) => json("DELETE", path, undefined, options),
    accessToken: (options) => currentToken(options?.signal),
    apiUrl: endpoints.apiBase,
    tokenEndpoint: endpoints.tokenEndpoint,
  };
  const inspect = () => `RapidataClient ${JSON.stringify(description)}`;
  Object.defineProperties(client, {
    toJSON: { value: () => ({ ...description }) },
    [Symbol.for("nodejs.util.inspect.custom")]: { value: inspect },
    [Symbol.for("Deno.customInspect")]: { value: inspect },
  });
  return Object.freeze(client);
}
