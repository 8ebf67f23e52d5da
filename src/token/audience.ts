/**
 * The audience of an access token: whether Rapidata's API will accept it once it enforces the audience
 * `https://api.rapidata.ai` (which a token gets when the client requests the `api` scope). Only to
 * inform, never to reject: a JWT's claims are read without verification, and an encrypted or opaque
 * token falls back to the scope.
 *
 * @module
 */

import { decodeJwtPayload } from "../internal/jwt.ts";

/** What is known of a token's audience. */
export interface TokenAudience {
  /** The token's audiences (`aud`, a string or an array), when it is a readable JWT. */
  readonly audience: readonly string[] | undefined;
  /**
   * Whether it carries the expected audience: by its `aud`; else by `scope` (the granted scope, else
   * the requested one) including `api`; `undefined` when neither is known.
   */
  readonly ok: boolean | undefined;
}

/**
 * What is known of `token`'s audience, against `expected`; `scope` is the granted scope (else the
 * requested one), space-separated.
 *
 * @example
 * ```ts
 * import { audienceOf } from "@rapidata/fetch";
 *
 * const { audience, ok } = audienceOf("opaque-token", "https://api.rapidata.ai", "openid email");
 * console.log(audience, ok); // undefined false: without the api scope the token lacks the audience
 * ```
 */
export function audienceOf(token: string, expected: string, scope?: string): TokenAudience {
  const aud = decodeJwtPayload(token)?.aud;
  // A string or an array of strings (an empty array: no audience at all); anything else says nothing.
  const audience = typeof aud === "string"
    ? [aud]
    : Array.isArray(aud) && aud.every((a) => typeof a === "string")
    ? aud as string[]
    : undefined;
  return {
    audience,
    ok: audience ? audience.includes(expected) : scope === undefined ? undefined : scope.split(" ").includes("api"),
  };
}
