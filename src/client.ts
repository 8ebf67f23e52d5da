/**
 * `createClient`: options validation, the authenticated `fetch`, and the JSON helpers.
 *
 * @module
 */

import { type ClientAuthentication, type GrantConfig, requestToken } from "./client_credentials.ts";
import { withDeadline } from "./deadline.ts";
import { DEFAULT_SCOPE, resolveEndpoints } from "./environments.ts";
import { invalidOption, RapidataApiError, RapidataAuthError, redact } from "./errors.ts";
import { cacheKey, getToken, renewAt, type TokenCacheOptions } from "./token_cache.ts";
import type { RapidataTokenStore } from "./stores/seal.ts";
import { exchange, isReplayableBody, type TransportConfig } from "./transport.ts";
import { appendQuery, type Query, resolveUrl } from "./url.ts";
import { type RapidataEvent, type RetryOptions, type RetryPolicy, sleep, withRetries } from "./retry.ts";

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
  /**
   * Retries of API calls and token requests. API calls: 429 and 503 for every method; 502, 504,
   * timeouts and network errors only for GET, HEAD, OPTIONS, PUT, DELETE or a request with an
   * `Idempotency-Key` header. Token requests: 5xx, 429, timeouts and network errors (never
   * `invalid_client`, `invalid_scope`, `unauthorized_client`). Waits: exponential backoff with full
   * jitter, or `Retry-After` (seconds or HTTP date), capped at `maxDelay`. `false` turns retries off.
   * @default { limit: 3, delay: 250, maxDelay: 60000 }
   */
  retry?: RetryOptions | false;
  /**
   * Receives typed events (token fetched, renewal failed with grace, retry scheduled, 401 replay); none
   * carries a secret or a token. Exceptions it throws are ignored.
   * @default undefined
   */
  onEvent?: (event: RapidataEvent) => void;
  /**
   * A store shared by isolates or machines (Workers KV, Cache API, Deno KV, a Durable Object, your
   * own): memory is looked up first, then the store, then the token endpoint; fetched tokens are
   * written through, sealed. The store failing never fails a call.
   * @default undefined (memory of this isolate only)
   */
  store?: RapidataTokenStore;
  /**
   * How the client waits before a retry. For tests that must not sleep.
   * @default an abortable setTimeout
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** `fetch`'s init, plus a `deadline` for retries. */
export interface RapidataRequestInit extends RequestInit {
  /** No retry starts if its wait would end after this time (epoch ms, the client's clock). @default undefined */
  deadline?: number;
  /**
   * Workers' `ctx.waitUntil` (bound): a token renewal inside the leeway window then runs in the
   * background while this call goes on with the still-valid token. @default undefined
   */
  waitUntil?: (promise: Promise<unknown>) => void;
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
   * Workers' `ctx.waitUntil` (bound): a token renewal inside the leeway window then runs in the
   * background while this call goes on with the still-valid token. @default undefined
   */
  waitUntil?: (promise: Promise<unknown>) => void;
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
  accessToken(options?: { signal?: AbortSignal; waitUntil?: (promise: Promise<unknown>) => void }): Promise<string>;
  /** The API base URL this client calls. */
  readonly apiUrl: string;
  /** The token endpoint this client uses. */
  readonly tokenEndpoint: string;
}

/** OAuth errors that no retry can fix. */
const FINAL_OAUTH = ["invalid_client", "invalid_scope", "unauthorized_client"];

function optionalNumber(value: unknown, field: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || (value as number) < min) invalidOption(field, `must be a finite number >= ${min}`);
  return value as number;
}

function nonEmpty(value: unknown, field: string): asserts value is string {
  if (typeof value !== "string" || value === "") invalidOption(field, "must be a non-empty string");
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
  const { apiUrl: apiBase, tokenEndpoint, issuer } = resolveEndpoints(
    options.environment,
    options.apiUrl,
    options.authUrl,
  );
  const { token: staticToken, clientId, clientSecret } = options;
  if (staticToken === undefined) {
    if (clientId === undefined && clientSecret === undefined) {
      throw new TypeError(`createClient: give "clientId" and "clientSecret" (or "token")`);
    }
    nonEmpty(clientId, "clientId");
    nonEmpty(clientSecret, "clientSecret");
    if (options.expiresAt !== undefined) invalidOption("expiresAt", `is only allowed together with "token"`);
  } else {
    nonEmpty(staticToken, "token");
    if (clientId !== undefined || clientSecret !== undefined) {
      invalidOption("token", `excludes "clientId" and "clientSecret"`);
    }
  }
  const expiresAt = optionalNumber(options.expiresAt, "expiresAt", Infinity);
  for (const field of ["scope", "fetch", "now", "onEvent", "sleep"] as const) {
    const type = field === "scope" ? "string" : "function";
    if (options[field] !== undefined && typeof options[field] !== type) invalidOption(field, `must be a ${type}`);
  }
  const scope = options.scope?.trim().replace(/\s+/g, " ") ?? DEFAULT_SCOPE;
  const clientAuthentication = options.clientAuthentication ?? "client_secret_basic";
  if (clientAuthentication !== "client_secret_basic" && clientAuthentication !== "client_secret_post") {
    invalidOption("clientAuthentication", `must be "client_secret_basic" or "client_secret_post"`);
  }
  const leeway = optionalNumber(options.leeway, "leeway", 60);
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
  const retry: RetryOptions = options.retry === false ? { limit: 0 } : options.retry ?? {};
  if (typeof retry !== "object") invalidOption("retry", "must be an object or false");
  const onEvent = options.onEvent;
  const apiOrigin = new URL(apiBase).origin;
  // What the token request, the transport, the retries and the token cache need, in one object.
  const config: GrantConfig & TransportConfig & RetryPolicy & Omit<TokenCacheOptions, "key"> = {
    limit: optionalNumber(retry.limit, "retry.limit", 3),
    delay: optionalNumber(retry.delay, "retry.delay", 250),
    maxDelay: optionalNumber(retry.maxDelay, "retry.maxDelay", 60_000),
    sleep: options.sleep ?? sleep,
    emit: (event) => {
      try {
        onEvent?.(event);
      } catch { /* the hook's own problem */ }
    },
    tokenEndpoint,
    issuer,
    clientId: clientId!,
    clientSecret: clientSecret!,
    scope,
    clientAuthentication,
    // Called without a receiver, and the global looked up per call (it may be replaced later).
    fetch: (input, init) => (userFetch ?? fetch)(input as string | URL | Request, init),
    timeout,
    now,
    apiOrigin,
    defaultHeaders,
    token: currentToken,
    renewable: staticToken === undefined,
    leeway,
    stallAfter: Math.min(timeout, 5_000) + 100, // an owner that lives has settled its attempt by then
    fetchToken: async (renewing, waiting) => {
      // A token another isolate stored is as good as a new one; a fetched one is shared with them.
      const stored = await shared?.load(renewing);
      if (stored) return stored;
      const token = await withRetries(
        config,
        "token",
        () => requestToken(config),
        // A renewal is tried once: while the cached token is valid, calls should not wait on backoff.
        // Only our errors carry a `response`, so a status here is the token endpoint's answer.
        (status, transient, error) =>
          !renewing && (transient ||
            ((status! >= 500 || status === 429) && !FINAL_OAUTH.includes((error as RapidataAuthError).error!))),
        { waiting },
      );
      await shared?.save(token);
      return token;
    },
  };
  const store = options.store;
  if (store !== undefined && typeof store?.bind !== "function") {
    invalidOption("store", "must come from a store adapter");
  }
  const shared = staticToken === undefined
    ? store?.bind({ ...config, freshUntil: (token) => renewAt(token, leeway) }, now, config.emit)
    : undefined;
  const secrets = [clientSecret, staticToken];
  let cacheOptions: TokenCacheOptions | undefined;

  /** Our token: the fixed one, else the cached one (`rejected` is a token the API has refused). */
  async function currentToken(
    signal?: AbortSignal,
    rejected?: string,
    waitUntil?: (promise: Promise<unknown>) => void,
  ): Promise<string> {
    if (staticToken !== undefined) {
      if (now() >= expiresAt * 1000) {
        throw new RapidataAuthError("ERR_TOKEN_EXPIRED", `The fixed "token" has expired`);
      }
      return staticToken;
    }
    // Computed once per client, but no caller ever awaits another request's promise (Workers hazard).
    cacheOptions ??= { ...config, key: await cacheKey(tokenEndpoint, clientId!, clientSecret!, scope) };
    return (await getToken(cacheOptions, signal, rejected, waitUntil)).token;
  }

  async function json<T>(method: string, path: string, options: RequestOptions = {}, body?: unknown): Promise<T> {
    const url = resolveUrl(path, apiBase);
    appendQuery(url, options.query);
    const headers = new Headers(options.headers);
    // JSON unless it is something `fetch` sends as it is (a string is JSON-encoded too) or no body at all.
    const encode =
      !(body instanceof ReadableStream || (typeof body !== "string" && isReplayableBody(body as BodyInit)));
    if (!headers.has("accept")) headers.set("accept", "application/json");
    if (encode && !headers.has("content-type")) headers.set("content-type", "application/json");
    const payload = encode ? JSON.stringify(body) : body as BodyInit | undefined ?? null;
    const { response, bearer } = await exchange(config, url, { ...options, method, headers, body: payload });
    // A body cut off mid-way is ERR_NETWORK too (the platform's error is the cause).
    const text = await withDeadline("API request", timeout, options.signal, () => response.text(), url.origin, true)
      .catch(
        async (error) => {
          await response.body?.cancel().catch(() => {});
          throw error;
        },
      );
    const what = `Rapidata API ${method} ${url.pathname}`;
    if (!response.ok) {
      let details: unknown = text ? redact(text, [...secrets, bearer]) : undefined;
      try {
        details = JSON.parse(details as string);
      } catch { /* keep the text (or nothing) */ }
      const message = messageOf(details) || response.statusText;
      throw new RapidataApiError(
        "ERR_API_RESPONSE",
        `${what} failed with HTTP ${response.status}${message ? `: ${message}` : ""}`,
        response,
        details,
      );
    }
    if (text === "") return undefined as T; // also every 204 / 205: a Response cannot give those a body
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RapidataApiError(
        "ERR_API_BODY",
        `${what} answered HTTP ${response.status} with a non-JSON body`,
        response,
      );
    }
  }

  const description = { apiUrl: apiBase, tokenEndpoint, clientId, scope };
  const client: RapidataClient = {
    fetch: async (input, init) => {
      // A `Request`, also one from another realm or `fetch` implementation.
      const request =
        typeof (input as Request | undefined)?.url === "string" && typeof (input as Request).method === "string"
          ? input as Request
          : undefined;
      const url = resolveUrl(request ? request.url : input instanceof URL ? input.href : input, apiBase);
      return (await exchange(config, url, init, request)).response;
    },
    get: (path, options) => json("GET", path, options),
    post: (path, body, options) => json("POST", path, options, body),
    put: (path, body, options) => json("PUT", path, options, body),
    patch: (path, body, options) => json("PATCH", path, options, body),
    delete: (path, options) => json("DELETE", path, options),
    accessToken: (options) => currentToken(options?.signal, undefined, options?.waitUntil),
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
