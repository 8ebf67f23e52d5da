/**
 * Errors thrown by `@rapidata/fetch`: one base class, a few subclasses, a string-literal `code` on each.
 *
 * Nothing here ever carries a client secret or an access token: messages are built from fixed text
 * plus server-provided descriptions that pass through {@link redact}, the raw `Response` is
 * non-enumerable, and no error keeps the request body.
 *
 * @module
 */

import type { AuthChallenge } from "./http/challenge.ts";

/**
 * Every `code` a {@link RapidataError} can carry.
 *
 * | code | class | when |
 * |---|---|---|
 * | `ERR_TOKEN_REJECTED` | {@link RapidataAuthError} | the token endpoint answered with an OAuth error (`error` holds e.g. `invalid_client`) or an unexpected status |
 * | `ERR_TOKEN_RESPONSE` | {@link RapidataAuthError} | the token endpoint answered 200 with something that is not a valid bearer token response |
 * | `ERR_TOKEN_EXPIRED` | {@link RapidataAuthError} | a fixed `token` given to `createClient` has expired |
 * | `ERR_API_RESPONSE` | {@link RapidataApiError} | an API call answered with a non-2xx status (JSON helpers) |
 * | `ERR_API_BODY` | {@link RapidataApiError} | a 2xx API answer whose body is not the JSON it claims to be |
 * | `ERR_AUDIENCE` | {@link RapidataApiError} | a 401 for a token without the API's audience: request the `api` scope |
 * | `ERR_TIMEOUT` | {@link RapidataTimeoutError} | an HTTP attempt took longer than the `timeout` option |
 * | `ERR_NETWORK` | {@link RapidataError} | the connection failed (the platform's error is the `cause`) |
 * | `ERR_REDIRECT` | {@link RapidataError} | too many redirects, or a redirect without a usable `Location` |
 * | `ERR_NO_CREDENTIALS` | {@link RapidataError} | `@rapidata/fetch/node`: no credentials in options, environment, token file or credentials file |
 * | `ERR_LOGIN` | {@link RapidataError} | `@rapidata/fetch/node`: the browser login failed or timed out |
 * | `ERR_WAIT_FAILED` | `RapidataWaitError` | `@rapidata/fetch/api`: the job or order Failed (or was Cancelled) |
 * | `ERR_WAIT_BLOCKED` | `RapidataWaitError` | `@rapidata/fetch/api`: the job or order needs a person (ManualApproval, SpendLimited, ManualReview) |
 * | `ERR_WAIT_TIMEOUT` | `RapidataWaitError` | `@rapidata/fetch/api`: the wait's `timeout` passed first |
 * | `ERR_UPLOAD_FAILED` | `RapidataUploadError` | `@rapidata/fetch/api`: more uploads failed than `failureTolerance` allows |
 * | `ERR_PAGINATION` | {@link RapidataError} | `@rapidata/fetch/api`: a paged answer without its items, or a cursor that does not move |
 */
export type RapidataErrorCode =
  | "ERR_TOKEN_REJECTED"
  | "ERR_TOKEN_RESPONSE"
  | "ERR_TOKEN_EXPIRED"
  | "ERR_API_RESPONSE"
  | "ERR_API_BODY"
  | "ERR_AUDIENCE"
  | "ERR_TIMEOUT"
  | "ERR_NETWORK"
  | "ERR_REDIRECT"
  | "ERR_NO_CREDENTIALS"
  | "ERR_LOGIN"
  | "ERR_WAIT_FAILED"
  | "ERR_WAIT_BLOCKED"
  | "ERR_WAIT_TIMEOUT"
  | "ERR_UPLOAD_FAILED"
  | "ERR_PAGINATION";

/**
 * Replaces every occurrence of each secret in `text` with `[redacted]`.
 * Secrets shorter than 4 characters are ignored (they would blank out ordinary words).
 * @internal
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  for (const secret of secrets) if (secret && secret.length >= 4) text = text.replaceAll(secret, "[redacted]");
  return text;
}

/** Throws the `TypeError` for a misused `createClient` option, naming the option. @internal */
export function invalidOption(field: string, rule: string): never {
  throw new TypeError(`createClient: "${field}" ${rule}`);
}

/**
 * The base class of every error `@rapidata/fetch` throws on purpose (misuse is a plain `TypeError`).
 *
 * @example
 * ```ts
 * import { createClient, isRapidataError } from "@rapidata/fetch";
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret" });
 * try {
 *   await rapidata.get("/orders");
 * } catch (error) {
 *   if (isRapidataError(error)) console.error(error.code, error.message);
 * }
 * ```
 */
export class RapidataError extends Error {
  /** Which failure this is; stable across versions. */
  declare readonly code: RapidataErrorCode;

  /** @param code the failure; @param message text without secrets; @param options standard `cause` */
  constructor(code: RapidataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "RapidataError";
  }

  /** For JSON logs: name, code, message and the public fields (never `response`, never a secret). */
  toJSON(): Record<string, unknown> {
    return { ...this, message: this.message } as unknown as Record<string, unknown>;
  }
}

/**
 * The token endpoint refused to issue a token, answered with something that is not a token, or a
 * fixed token expired. `error` and `errorDescription` are the OAuth 2 fields (RFC 6749 §5.2) when the
 * server sent them, in a JSON body or in a `WWW-Authenticate` challenge.
 *
 * @example
 * ```ts
 * import { RapidataAuthError, createClient } from "@rapidata/fetch";
 * const rapidata = createClient({ clientId: "id", clientSecret: "wrong" });
 * try {
 *   await rapidata.accessToken();
 * } catch (error) {
 *   if (error instanceof RapidataAuthError && error.error === "invalid_client") {
 *     console.error("check RAPIDATA_CLIENT_ID / RAPIDATA_CLIENT_SECRET");
 *   }
 * }
 * ```
 */
export class RapidataAuthError extends RapidataError {
  /** The OAuth error code, such as `invalid_client` or `invalid_scope`, when the server sent one. */
  declare readonly error: string | undefined;
  /** The server's `error_description`, with any credential redacted. */
  declare readonly errorDescription: string | undefined;
  /** HTTP status of the token endpoint's answer (`undefined` for an expired fixed token). */
  declare readonly status: number | undefined;
  /** The token endpoint's answer (non-enumerable, its body may already be read). */
  declare readonly response: Response | undefined;

  /** @internal */
  constructor(
    code: "ERR_TOKEN_REJECTED" | "ERR_TOKEN_RESPONSE" | "ERR_TOKEN_EXPIRED",
    message: string,
    response?: Response,
    error?: string,
    errorDescription?: string,
  ) {
    super(code, message);
    this.name = "RapidataAuthError";
    this.error = error;
    this.errorDescription = errorDescription;
    this.status = response?.status;
    Object.defineProperty(this, "response", { value: response }); // non-enumerable: never in JSON or logs
  }
}

/**
 * The Rapidata API answered a JSON helper call with a non-2xx status (or an unreadable 2xx body).
 * `message` is the ProblemDetails `detail` or `title` (or a `message` / `error` field), `details`
 * the parsed body, `traceId` the `x-trace-id` header or the body's `traceId`.
 *
 * @example
 * ```ts
 * import { RapidataApiError, createClient } from "@rapidata/fetch";
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret" });
 * try {
 *   await rapidata.get("/order/does-not-exist");
 * } catch (error) {
 *   if (error instanceof RapidataApiError && error.status === 404) console.error(error.traceId);
 * }
 * ```
 */
export class RapidataApiError extends RapidataError {
  /** HTTP status of the answer. */
  declare readonly status: number;
  /** The parsed body (JSON when it was JSON, else the text), `undefined` when empty. */
  declare readonly details: unknown;
  /** Rapidata's trace id for support requests, if the answer carried one. */
  declare readonly traceId: string | undefined;
  /** The answer itself (non-enumerable; its body has been read). */
  declare readonly response: Response;
  /** True when the body was longer than 64 KiB: `details` is then its first 64 KiB, as text. */
  declare readonly truncated: boolean;
  /**
   * The answer's `WWW-Authenticate` challenge (a 401's `Bearer error="invalid_token",
   * error_description="…"`), when it had one.
   */
  declare readonly challenge: AuthChallenge | undefined;

  /** @internal */
  constructor(
    code: "ERR_API_RESPONSE" | "ERR_API_BODY" | "ERR_AUDIENCE",
    message: string,
    response: Response,
    extra: {
      details?: unknown;
      truncated?: boolean;
      challenge?: AuthChallenge;
      /** Redacted from what the server sent back (the trace id). */
      secrets?: readonly (string | undefined)[];
    } = {},
  ) {
    super(code, message);
    const { details, secrets = [] } = extra;
    this.name = "RapidataApiError";
    this.status = response.status;
    this.details = details;
    const bodyTrace = (details as { traceId?: unknown } | undefined)?.traceId;
    const traceId = response.headers.get("x-trace-id") ?? (typeof bodyTrace === "string" ? bodyTrace : undefined);
    this.traceId = traceId && redact(traceId, secrets); // a server that echoes headers must not leak the token
    this.truncated = !!extra.truncated;
    this.challenge = extra.challenge;
    Object.defineProperty(this, "response", { value: response }); // non-enumerable: never in JSON or logs
  }
}

/**
 * An HTTP attempt (token request or API call) took longer than the client's `timeout`.
 * A caller's own `AbortSignal` surfaces as the platform's `AbortError` instead.
 *
 * @example
 * ```ts
 * import { RapidataTimeoutError, createClient } from "@rapidata/fetch";
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", timeout: 5_000 });
 * try {
 *   await rapidata.get("/orders");
 * } catch (error) {
 *   if (error instanceof RapidataTimeoutError) console.error(`gave up after ${error.timeout} ms`);
 * }
 * ```
 */
export class RapidataTimeoutError extends RapidataError {
  /** The limit that was exceeded, in milliseconds. */
  declare readonly timeout: number;

  /** @internal */
  constructor(what: "token request" | "API request", timeout: number) {
    super("ERR_TIMEOUT", `Rapidata ${what} timed out after ${timeout} ms`);
    this.name = "RapidataTimeoutError";
    this.timeout = timeout;
  }
}

/**
 * True for any error thrown by `@rapidata/fetch` on purpose, also across bundles and realms
 * (it compares `name`, not the prototype chain).
 *
 * @example
 * ```ts
 * import { isRapidataError } from "@rapidata/fetch";
 * const error: unknown = new Error("boom");
 * console.log(isRapidataError(error)); // false
 * ```
 */
export function isRapidataError(value: unknown): value is RapidataError {
  return value instanceof Error && /^Rapidata\w*Error$/.test(value.name) &&
    typeof (value as RapidataError).code === "string";
}
