/**
 * The OAuth 2 client-credentials grant through `oauth4webapi`, with its errors mapped to ours.
 *
 * oauth4webapi's errors keep the parsed token response (access token included) in `cause`; none of
 * that is passed on: our errors carry only the OAuth `error`, a redacted `error_description` and the
 * HTTP status.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { RapidataAuthError, redact } from "../errors.ts";
import { readText, TOO_LARGE } from "../http/body.ts";
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

/**
 * The token endpoint's answer read (at most {@link TOKEN_RESPONSE_LIMIT} bytes) into one that
 * oauth4webapi can process, without an `id_token`: a client-credentials client has no use for one, and
 * an id_token with an unexpected issuer must not break the grant.
 */
async function bounded(response: Response): Promise<Response> {
  let body = await readText(response, TOKEN_RESPONSE_LIMIT);
  if (body === TOO_LARGE) throw invalidResponse(`larger than ${TOKEN_RESPONSE_LIMIT} bytes`, response);
  if (response.status === 200) {
    try {
      const json = JSON.parse(body);
      if (delete json.id_token) body = JSON.stringify(json);
    } catch { /* oauth4webapi reports what is not JSON */ }
  }
  // An empty body is none (a 204 must not have one).
  return new Response(body || null, response);
}

/** Throws, for whatever oauth4webapi threw while processing `response`, a {@link RapidataAuthError}. */
async function rethrowProcessingError(config: GrantSettings, response: Response, error: unknown): Promise<never> {
  if (response.status === 200) {
    // oauth4webapi's messages name the offending field, never its value.
    const known = error instanceof oauth.OperationProcessingError || error instanceof oauth.UnsupportedOperationError;
    throw invalidResponse(known ? error.message.replace(`"response" `, "") : "unreadable", response);
  }
  // The OAuth error fields: from the JSON body as oauth4webapi parsed it, else from a WWW-Authenticate
  // challenge that names an error, else from the body of such a challenge response.
  let fields: { error?: unknown; error_description?: unknown } | null | undefined =
    error instanceof oauth.ResponseBodyError ? error : undefined;
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    fields = error.cause.find((challenge) => challenge.parameters.error)?.parameters;
    try {
      fields ??= await response.clone().json();
    } catch { /* no OAuth fields */ }
  }
  const oauthError = typeof fields?.error === "string" ? fields.error : undefined;
  const description = typeof fields?.error_description === "string" ? fields.error_description : undefined;
  const errorDescription = description && redact(description, [config.clientSecret]);
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
    const answer = await bounded(response);
    const result = await oauth.processClientCredentialsResponse(as, client, answer).catch((error: unknown) =>
      rethrowProcessingError(config, answer, error)
    );
    // oauth4webapi also accepts DPoP tokens, which this client cannot use (its words for other types).
    if (result.token_type !== "bearer") throw invalidResponse("unsupported `token_type` value", answer);
    // Sent as a header value: only visible ASCII (a broken server's newline would break `Headers`).
    if (!/^[\x21-\x7e]+$/.test(result.access_token)) throw invalidResponse("invalid `access_token` value", answer);
    const lifetime = lifetimeOf(result.access_token, result.expires_in, issuedAt);
    return { token: result.access_token, issuedAt, expiresAt: issuedAt + lifetime };
  }, "the token endpoint");
}
