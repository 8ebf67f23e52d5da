/**
 * `ClientOptions`, the one table of defaults, and their resolution: every option is validated once, in
 * `createClient`, into a frozen {@link ResolvedOptions} whose parts each go to the one module that
 * needs them (grant settings to the token source, transport settings to the transport, …).
 *
 * @module
 */

import { type Endpoints, resolveEndpoints } from "./endpoints.ts";
import { invalidOption } from "./errors.ts";
import { onlyKnown } from "./internal/known.ts";
import { type Emit, emitter, type RapidataEvent } from "./events.ts";
import type { RetryOptions, RetryPolicy } from "./http/retry.ts";
import type { RapidataTokenStore } from "./stores/seal.ts";
import { sleep } from "./http/retry.ts";
import type { ClientAuthentication, GrantSettings } from "./token/grant.ts";
import type { WaitUntil } from "./token/source.ts";

/**
 * The scope requested by default, as Rapidata's Python SDK does. The `api` scope is what makes the
 * identity server issue tokens whose audience is the Rapidata API (`https://api.rapidata.ai`).
 *
 * @example
 * ```ts
 * import { DEFAULT_SCOPE, createClient } from "@rapidata/fetch";
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", scope: `${DEFAULT_SCOPE} profile` });
 * ```
 */
export const DEFAULT_SCOPE = "openid email api";

/** The defaults of every option, in one place (the TSDoc `@default`s below say the same). @internal */
export const DEFAULTS = Object.freeze({
  environment: "rapidata.ai",
  scope: DEFAULT_SCOPE,
  clientAuthentication: "client_secret_basic" as ClientAuthentication,
  leeway: 60,
  timeout: 30_000,
  retry: Object.freeze({ limit: 3, delay: 250, maxDelay: 60_000 }),
  /** The longest an attempt of a healthy flight may run before a waiting caller takes over. */
  stallCap: 5_000,
});

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
   * The audience the API expects in access tokens. Tokens without it get an `audience` event (once per
   * token), and a 401 for such a token is `ERR_AUDIENCE` with no replay: Rapidata's backend refuses
   * them once it enforces the audience. For environments other than production the default is an
   * assumption.
   * @default `https://api.<environment>` (`https://api.rapidata.ai` in production)
   */
  audience?: string;
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
   * helper allows the same again for reading the body. `false`: API calls get no timeout of their own
   * (no signal is made unless you pass one: bound them with your `signal`); token requests, which
   * every caller shares, keep 30 s.
   * @default 30000
   */
  timeout?: number | false;
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
  /**
   * Allows a client secret in a web page. Without it, `createClient` with a `clientSecret` throws in a
   * browser document: the page would publish the secret to every visitor. (A fixed `token` is allowed;
   * Workers, Deno, Bun, Node and web workers are not browser documents.)
   * @default false
   */
  dangerouslyAllowBrowser?: boolean;
}

/** Every option of {@link ClientOptions}: any other key is a misspelling (a `TypeError`). @internal */
export const OPTION_NAMES: readonly string[] = [
  "clientId",
  "clientSecret",
  "token",
  "expiresAt",
  "environment",
  "apiUrl",
  "authUrl",
  "scope",
  "audience",
  "clientAuthentication",
  "leeway",
  "timeout",
  "fetch",
  "headers",
  "now",
  "retry",
  "onEvent",
  "store",
  "sleep",
  "dangerouslyAllowBrowser",
];

/** Epoch seconds of 3000-01-01: an `expiresAt` beyond it is milliseconds given for seconds. */
const YEAR_3000 = 32_503_680_000;

/** What the runtime's entry point adds (workerd: its `waitUntil`). @internal */
export interface Runtime {
  readonly waitUntil?: WaitUntil;
}

/** Options after validation, frozen; each part goes to the module that uses it. @internal */
export interface ResolvedOptions {
  readonly endpoints: Readonly<Endpoints>;
  /** The client-credentials grant; `undefined` with a fixed `token`. */
  readonly grant: GrantSettings | undefined;
  /** The fixed `token` and its expiry in epoch ms (`Infinity` when unknown). */
  readonly fixed: { readonly token: string; readonly expiresAt: number } | undefined;
  /** When tokens are renewed, and how long a flight may go without progress. */
  readonly renewal: { readonly leeway: number; readonly stallAfter: number };
  readonly transport: TransportSettings;
  readonly retry: RetryPolicy;
  readonly emit: Emit;
  readonly now: () => number;
  readonly store: RapidataTokenStore | undefined;
  /** Keeps background work alive where the runtime needs it (workerd); per-call `waitUntil` wins. */
  readonly waitUntil: WaitUntil | undefined;
  /** The audience the API expects in tokens. */
  readonly audience: string;
}

/** What the transport needs. @internal */
export interface TransportSettings {
  readonly fetch: typeof fetch;
  /** Milliseconds per attempt; `undefined`: none (`timeout: false`). */
  readonly timeout: number | undefined;
  readonly apiOrigin: string;
  /** `apiOrigin` and `/`: what every URL on the API origin starts with (joined once, not per call). */
  readonly apiPrefix: string;
  /** Extra headers of every API call (never an Authorization), as name-value pairs (cheaper than Headers). */
  readonly headers: readonly (readonly [string, string])[];
  /** The platform's `fetch` (no `fetch` option): aborting its signal ends an answer's body too. */
  readonly native: boolean;
}

function optionalNumber(value: unknown, field: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || (value as number) < min) invalidOption(field, `must be a finite number >= ${min}`);
  return value as number;
}

function nonEmpty(value: unknown, field: string): asserts value is string {
  if (typeof value !== "string" || value === "") invalidOption(field, "must be a non-empty string");
}

/**
 * Validates `options` (a `TypeError` naming the option for any misuse) and resolves every default.
 * Nothing of the caller's object is kept or changed. @internal
 */
export function resolveOptions(options: ClientOptions, runtime: Runtime = {}): ResolvedOptions {
  if (options === null || typeof options !== "object") throw new TypeError("createClient: options must be an object");
  onlyKnown(options, OPTION_NAMES, "createClient");
  const endpoints = Object.freeze(resolveEndpoints(options.environment, options.apiUrl, options.authUrl));
  const { token, clientId, clientSecret } = options;
  if (token === undefined) {
    if (clientId === undefined && clientSecret === undefined) {
      throw new TypeError(`createClient: give "clientId" and "clientSecret" (or "token")`);
    }
    nonEmpty(clientId, "clientId");
    nonEmpty(clientSecret, "clientSecret");
    // A web page (a window with a document) would hand the secret to every visitor.
    if ((globalThis as { window?: { document?: unknown } }).window?.document && !options.dangerouslyAllowBrowser) {
      invalidOption(
        "clientSecret",
        `in a web page is public: keep it on a server and pass the page a short-lived "token" (or ` +
          `dangerouslyAllowBrowser: true)`,
      );
    }
    if (options.expiresAt !== undefined) invalidOption("expiresAt", `is only allowed together with "token"`);
  } else {
    // Sent as a header value: only visible ASCII (the message never quotes the token).
    if (typeof token !== "string" || !/^[\x21-\x7e]+$/.test(token)) {
      invalidOption("token", "must be a non-empty string of visible ASCII characters (it is sent in a header)");
    }
    if (clientId !== undefined || clientSecret !== undefined) {
      invalidOption("token", `excludes "clientId" and "clientSecret"`);
    }
  }
  const expiresAt = optionalNumber(options.expiresAt, "expiresAt", Infinity);
  if (expiresAt !== Infinity && expiresAt > YEAR_3000) {
    invalidOption("expiresAt", "is in epoch seconds (this looks like milliseconds: divide by 1000)");
  }
  for (const field of ["scope", "fetch", "now", "onEvent", "sleep"] as const) {
    const type = field === "scope" ? "string" : "function";
    if (options[field] !== undefined && typeof options[field] !== type) invalidOption(field, `must be a ${type}`);
  }
  if (options.audience !== undefined) nonEmpty(options.audience, "audience");
  const clientAuthentication = options.clientAuthentication === undefined
    ? DEFAULTS.clientAuthentication
    : options.clientAuthentication;
  if (clientAuthentication !== "client_secret_basic" && clientAuthentication !== "client_secret_post") {
    invalidOption("clientAuthentication", `must be "client_secret_basic" or "client_secret_post"`);
  }
  const leeway = optionalNumber(options.leeway, "leeway", DEFAULTS.leeway);
  const timeout = options.timeout === false
    ? undefined
    : Math.min(optionalNumber(options.timeout, "timeout", DEFAULTS.timeout, 1), 2_147_483_647);
  const tokenTimeout = timeout ?? DEFAULTS.timeout;
  let headers: Headers;
  try {
    headers = new Headers(options.headers);
  } catch {
    invalidOption("headers", "must be a valid HeadersInit");
  }
  if (headers.has("authorization")) invalidOption("headers", "must not contain Authorization");
  const retry: RetryOptions = options.retry === false ? { limit: 0 } : options.retry === undefined ? {} : options.retry;
  if (typeof retry !== "object" || retry === null) invalidOption("retry", "must be an object or false");
  onlyKnown(retry, ["limit", "delay", "maxDelay"], "createClient", "retry.");
  const store = options.store;
  if (store !== undefined && typeof store?.bind !== "function") {
    invalidOption("store", "must come from a store adapter");
  }
  const userFetch = options.fetch;
  // Called without a receiver, and the global looked up per call (it may be replaced later).
  const fetcher = (input: string | URL | Request, init?: RequestInit) => (userFetch ?? fetch)(input, init);
  const now = options.now ?? Date.now;
  const emit = emitter(options.onEvent);
  const grant: GrantSettings | undefined = token === undefined
    ? Object.freeze({
      tokenEndpoint: endpoints.tokenEndpoint,
      issuer: endpoints.issuer,
      clientId: clientId!,
      clientSecret: clientSecret!,
      scope: options.scope?.trim().replace(/\s+/g, " ") ?? DEFAULTS.scope,
      clientAuthentication,
      fetch: fetcher,
      timeout: tokenTimeout,
      now,
    })
    : undefined;
  return Object.freeze({
    endpoints,
    grant,
    fixed: token === undefined ? undefined : Object.freeze({ token, expiresAt: expiresAt * 1000 }),
    // An owner that lives has settled its attempt (or announced a wait) by `stallAfter`.
    renewal: Object.freeze({ leeway, stallAfter: Math.min(tokenTimeout, DEFAULTS.stallCap) + 100 }),
    transport: Object.freeze({
      fetch: fetcher,
      timeout,
      apiOrigin: endpoints.apiOrigin,
      apiPrefix: `${endpoints.apiOrigin}/`,
      headers: [...headers],
      native: !userFetch,
    }),
    retry: Object.freeze({
      limit: optionalNumber(retry.limit, "retry.limit", DEFAULTS.retry.limit),
      delay: optionalNumber(retry.delay, "retry.delay", DEFAULTS.retry.delay),
      maxDelay: optionalNumber(retry.maxDelay, "retry.maxDelay", DEFAULTS.retry.maxDelay),
      now,
      sleep: options.sleep ?? sleep,
      emit,
    }),
    emit,
    now,
    store: token === undefined ? store : undefined,
    waitUntil: runtime.waitUntil,
    audience: options.audience ?? endpoints.audience,
  });
}
