/**
 * The OAuth 2 client-credentials grant. oauth4webapi builds, authenticates and sends the request; the
 * answer is read here: the success answer (RFC 6749 §5.1) for the members a client-credentials client
 * uses (`access_token`, `token_type`, `expires_in`, `scope`), an error answer for its OAuth error
 * fields (a `WWW-Authenticate` challenge, or the JSON body of RFC 6749 §5.2). oauth4webapi's token response processing also
 * validates an `id_token`, which a client-credentials client must ignore (an identity server may send
 * one with an issuer of its own), and it is 3 KB gzip: a quarter of a Worker bundle.
 *
 * Our errors carry only the OAuth `error` and `error_description` (redacted) and the HTTP status, never
 * the answer's body.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { RapidataAuthError, redact } from "../errors.ts";
import { challengeOf } from "../http/challenge.ts";
import { readText } from "../http/body.ts";
import { withDeadline } from "../http/deadline.ts";
import { X_CLIENT } from "../http/transport.ts";
import { decodeJwtPayload } from "../internal/jwt.ts";
import type { CachedToken } from "./cache.ts";

/** How the client authenticates at the token endpoint. */
export type ClientAuthentication = "client_secret_basic" | "client_secret_post";

/** Everything one token request needs (resolved once by `createClient`). @internal */
export interface GrantSettings {
  readonly tokenEndpoint: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly clientAuthentication: ClientAuthentication;
  readonly fetch: typeof fetch;
  readonly timeout: number;
  readonly now: () => number;
}

/** Without `expires_in` a token is kept at most this long (or until its JWT `exp`, if earlier). */
export const UNKNOWN_LIFETIME_MS = 5 * 60_000;
/** No token is kept longer than this, whatever `expires_in` says. */
export const MAX_LIFETIME_MS = 24 * 3_600_000;

/** Lifetime in ms of a token response, conservative when `expires_in` is absent, capped when absurd. */
function lifetimeOf(token: string, expiresIn: number | undefined, issuedAt: number): number {
  if (expiresIn !== undefined) return Math.min(expiresIn * 1000, MAX_LIFETIME_MS);
  // A JWT's `exp` (epoch seconds) can only shorten the lifetime; nothing else in it is trusted.
  const exp = decodeJwtPayload(token)?.exp;
  return Number.isFinite(exp)
    ? Math.max(0, Math.min((exp as number) * 1000 - issuedAt, UNKNOWN_LIFETIME_MS))
    : UNKNOWN_LIFETIME_MS;
}

/** A token response is a few KiB; more than this is not read. */
export const TOKEN_RESPONSE_LIMIT = 64 * 1024;

/** The error for a 200 answer that is not a usable bearer token response (`reason` names no value). */
function invalidResponse(reason: string, response: Response): RapidataAuthError {
  return new RapidataAuthError("ERR_TOKEN_RESPONSE", `Rapidata token response is invalid (${reason})`, response);
}

/** The members of a successful token response this client uses. */
interface TokenResponse {
  readonly access_token: string;
  readonly expires_in: number | undefined;
  /** The granted scope, when the server says it (RFC 6749 §5.1). */
  readonly scope: string | undefined;
}

/**
 * A 200 answer (its body `text`) checked as RFC 6749 §5.1 asks: a JSON object with an `access_token`
 * (visible ASCII only: it becomes a header value) of `token_type` Bearer (case-insensitive; DPoP and
 * others are refused), `expires_in` a number of seconds >= 0 when present (a numeric string is read
 * as one). Anything else in it, an `id_token` included, is ignored.
 */
function parseTokenResponse(text: string, response: Response): TokenResponse {
  const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw invalidResponse("content-type must be application/json", response);
  let body: { access_token?: unknown; token_type?: unknown; expires_in?: unknown; scope?: unknown } | null;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidResponse("body is not JSON", response);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidResponse("body is not a JSON object", response);
  }
  const { access_token, token_type, expires_in, scope } = body;
  if (typeof access_token !== "string" || !/^[\x21-\x7e]+$/.test(access_token)) {
    throw invalidResponse("invalid `access_token` value", response);
  }
  if (typeof token_type !== "string" || token_type.toLowerCase() !== "bearer") {
    throw invalidResponse("unsupported `token_type` value", response);
  }
  // A numeric string is read as a number (some servers send one); "3600abc" is not one.
  const seconds = typeof expires_in === "string" && /^\d+(\.\d+)?$/.test(expires_in) ? Number(expires_in) : expires_in;
  if (seconds !== undefined && !(Number.isFinite(seconds) && (seconds as number) >= 0)) {
    throw invalidResponse("invalid `expires_in` value", response);
  }
  return {
    access_token,
    expires_in: seconds as number | undefined,
    scope: typeof scope === "string" ? scope : undefined,
  };
}

/**
 * The client secret as it may come back in an error answer: as it is, URL-encoded, form-encoded (as in
 * Basic credentials and form bodies) and inside the Basic credentials (base64 of `id:secret`).
 */
function secretForms({ clientId, clientSecret }: GrantSettings): string[] {
  const form = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  const basic = (id: string, secret: string) => {
    try {
      return btoa(`${id}:${secret}`);
    } catch {
      return undefined; // not Latin-1: never sent that way
    }
  };
  return [
    clientSecret,
    encodeURIComponent(clientSecret),
    form(clientSecret),
    basic(form(clientId), form(clientSecret)),
    basic(clientId, clientSecret),
  ].filter((value): value is string => value !== undefined);
}

/**
 * Throws the {@link RapidataAuthError} (`ERR_TOKEN_REJECTED`) for a non-200 answer whose body is `text`.
 * The OAuth error fields come from a `WWW-Authenticate` challenge that names an error, else from a 4xx's
 * JSON body (RFC 6749 §5.2).
 */
function rejected(config: GrantSettings, response: Response, text: string): never {
  let fields: { error?: unknown; error_description?: unknown } | undefined = challengeOf(response);
  if (!fields?.error && response.status < 500) {
    try {
      fields = JSON.parse(text);
    } catch { /* no OAuth fields */ }
  }
  // A server may echo what it was sent: the secret, in any form it travelled in, never passes on.
  const secrets = secretForms(config);
  const clean = (field: unknown) => typeof field === "string" ? redact(field, secrets) : undefined;
  const oauthError = clean(fields?.error);
  const errorDescription = clean(fields?.error_description) || undefined;
  const what = oauthError
    ? `${oauthError}${errorDescription ? `: ${errorDescription}` : ""}`
    : `HTTP ${response.status}`;
  const message = `Rapidata token request was rejected (${what})`;
  throw new RapidataAuthError("ERR_TOKEN_REJECTED", message, response, oauthError, errorDescription);
}

/**
 * Requests a token with the client-credentials grant. Resolves to the token and its lifetime; rejects
 * with {@link RapidataAuthError}, `RapidataTimeoutError` or a `RapidataError` (`ERR_NETWORK`); `signal`
 * cancels it (rejecting with its reason).
 * (Whatever settles after our deadline is ignored: `withDeadline` has already rejected by then.)
 * @internal
 */
export function requestToken(config: GrantSettings, signal?: AbortSignal): Promise<CachedToken> {
  const as: oauth.AuthorizationServer = { issuer: config.issuer, token_endpoint: config.tokenEndpoint };
  const client: oauth.Client = { client_id: config.clientId };
  const authenticate = config.clientAuthentication === "client_secret_post"
    ? oauth.ClientSecretPost
    : oauth.ClientSecretBasic;
  const auth = authenticate(config.clientSecret);
  const parameters: Record<string, string> = config.scope ? { scope: config.scope } : {};
  const issuedAt = config.now();

  // Failures of the request itself become ERR_NETWORK; those of processing its answer are our errors.
  return withDeadline("token request", config.timeout, signal, async (attemptSignal) => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, {
      [oauth.customFetch]: config.fetch,
      [oauth.allowInsecureRequests]: config.tokenEndpoint.startsWith("http:"),
      headers: { "x-client": X_CLIENT },
      signal: attemptSignal,
    });
    const { text, truncated } = await readText(response, TOKEN_RESPONSE_LIMIT, attemptSignal);
    // An error answer too large to read is still that status (a 5xx is retried).
    if (response.status !== 200) rejected(config, response, truncated ? "" : text);
    if (truncated) throw invalidResponse(`larger than ${TOKEN_RESPONSE_LIMIT} bytes`, response);
    const result = parseTokenResponse(text, response);
    const lifetime = lifetimeOf(result.access_token, result.expires_in, issuedAt);
    const token = { token: result.access_token, issuedAt, expiresAt: issuedAt + lifetime };
    return result.scope === undefined ? token : { ...token, scope: result.scope };
  }, config.tokenEndpoint);
}
