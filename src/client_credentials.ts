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
import type { CachedToken } from "./token_cache.ts";
import { withDeadline } from "./deadline.ts";
import { RapidataAuthError, RapidataError, redact } from "./errors.ts";

/** How the client authenticates at the token endpoint. */
export type ClientAuthentication = "client_secret_basic" | "client_secret_post";

/** Everything one token request needs. @internal */
export interface GrantConfig {
  readonly tokenEndpoint: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly clientAuthentication: ClientAuthentication;
  readonly fetch: typeof fetch;
  readonly timeout: number;
  readonly headers: Record<string, string>;
  readonly now: () => number;
}

/** Without `expires_in` a token is kept at most this long (or until its JWT `exp`, if earlier). */
export const UNKNOWN_LIFETIME_MS = 5 * 60_000;
/** No token is kept longer than this, whatever `expires_in` says. */
export const MAX_LIFETIME_MS = 24 * 3_600_000;

/** Reads `exp` (epoch seconds) from a JWT-shaped token without trusting anything else in it. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1]!.replace(/-/g, "+").replace(/_/g, "/"));
    const exp: unknown = JSON.parse(json).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** Lifetime in ms of a token response, conservative when `expires_in` is absent, capped when absurd. */
function lifetimeOf(token: string, expiresIn: number | undefined, issuedAt: number): number {
  if (expiresIn !== undefined) return Math.min(expiresIn * 1000, MAX_LIFETIME_MS);
  const exp = jwtExpiry(token);
  const fromJwt = exp === undefined ? UNKNOWN_LIFETIME_MS : exp * 1000 - issuedAt;
  return Math.max(0, Math.min(fromJwt, UNKNOWN_LIFETIME_MS));
}

function oauthFields(source: object | undefined): { error?: string; description?: string } {
  const fields = source as Record<string, unknown> | undefined;
  const error = typeof fields?.error === "string" ? fields.error : undefined;
  const description = typeof fields?.error_description === "string" ? fields.error_description : undefined;
  return { error, description };
}

async function bodyFields(response: Response): Promise<{ error?: string; description?: string }> {
  try {
    const json: unknown = await response.clone().json();
    return json !== null && typeof json === "object" ? oauthFields(json) : {};
  } catch {
    return {};
  }
}

function rejected(config: GrantConfig, response: Response, error?: string, description?: string) {
  const errorDescription = description === undefined ? undefined : redact(description, [config.clientSecret]);
  const what = error ? `${error}${errorDescription ? `: ${errorDescription}` : ""}` : `HTTP ${response.status}`;
  return new RapidataAuthError("ERR_TOKEN_REJECTED", `Rapidata token request was rejected (${what})`, {
    error,
    errorDescription,
    status: response.status,
    response,
  });
}

function invalid(response: Response, reason: string) {
  return new RapidataAuthError(
    "ERR_TOKEN_RESPONSE",
    `Rapidata token endpoint sent an invalid token response (${reason})`,
    { status: response.status, response },
  );
}

/** Maps whatever oauth4webapi threw while processing `response` to a {@link RapidataAuthError}. */
async function mapProcessingError(config: GrantConfig, response: Response, error: unknown): Promise<RapidataAuthError> {
  if (error instanceof oauth.ResponseBodyError) {
    return rejected(config, response, error.error, error.error_description);
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const params = error.cause.find((challenge) => challenge.parameters.error)?.parameters;
    const fromChallenge = oauthFields(params);
    const fromBody = fromChallenge.error ? fromChallenge : await bodyFields(response);
    return rejected(config, response, fromBody.error, fromBody.description);
  }
  if (response.status !== 200) return rejected(config, response);
  if (error instanceof oauth.UnsupportedOperationError) return invalid(response, "token_type is not Bearer");
  if (error instanceof oauth.OperationProcessingError) {
    switch (error.code) {
      case oauth.RESPONSE_IS_NOT_JSON:
        return invalid(response, "not application/json");
      case oauth.PARSE_ERROR:
        return invalid(response, "body is not JSON");
      default:
        // oauth4webapi's messages name the offending field, never its value.
        return invalid(response, error.message.replace(/^"response" body /, ""));
    }
  }
  return invalid(response, "unreadable");
}

/**
 * Requests a token with the client-credentials grant. Resolves to the token and its lifetime; rejects
 * with {@link RapidataAuthError}, `RapidataTimeoutError` or a `RapidataError` (`ERR_NETWORK`).
 * @internal
 */
export function requestToken(config: GrantConfig): Promise<CachedToken> {
  const as: oauth.AuthorizationServer = { issuer: config.issuer, token_endpoint: config.tokenEndpoint };
  const client: oauth.Client = { client_id: config.clientId };
  const auth = config.clientAuthentication === "client_secret_post"
    ? oauth.ClientSecretPost(config.clientSecret)
    : oauth.ClientSecretBasic(config.clientSecret);
  const parameters: Record<string, string> = config.scope ? { scope: config.scope } : {};
  const issuedAt = config.now();

  return withDeadline("token request", config.timeout, undefined, async (signal) => {
    let response: Response;
    try {
      response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, {
        [oauth.customFetch]: config.fetch,
        [oauth.allowInsecureRequests]: config.tokenEndpoint.startsWith("http:"),
        headers: config.headers,
        signal,
      });
    } catch (cause) {
      if (signal.aborted) throw signal.reason;
      throw new RapidataError("ERR_NETWORK", "Rapidata token request failed: could not reach the token endpoint", {
        cause,
      });
    }
    let result: oauth.TokenEndpointResponse;
    try {
      result = await oauth.processClientCredentialsResponse(as, client, response);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw await mapProcessingError(config, response, error);
    }
    if (result.token_type !== "bearer") throw invalid(response, "token_type is not Bearer");
    const lifetime = lifetimeOf(result.access_token, result.expires_in, issuedAt);
    return { token: result.access_token, issuedAt, expiresAt: issuedAt + lifetime };
  });
}
