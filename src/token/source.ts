/**
 * The seam between "where tokens come from" and the rest of the client: a {@link TokenSource}. The
 * client-credentials source (memory, shared store, token endpoint), the fixed token, the Node token
 * file and the Durable Object broker all implement it; the transport only asks it for a token and tells
 * it about a token the API rejected.
 *
 * @module
 */

import { RapidataAuthError } from "../errors.ts";
import type { Emit } from "../events.ts";
import { audienceOf } from "./audience.ts";

/** Workers' `ctx.waitUntil` (bound): keeps background work alive after the response. */
export type WaitUntil = (promise: Promise<unknown>) => void;

/** What a caller brings when it asks for a token. @internal */
export interface TokenRequest {
  /** Stops this caller's wait (a shared token request goes on for others). */
  readonly signal?: AbortSignal;
  /** Epoch ms on the client's clock: no token retry starts if its wait would end after it. */
  readonly deadline?: number;
  /** Keeps a background renewal alive (Workers); the runtime's own is used when absent. */
  readonly waitUntil?: WaitUntil;
}

/** A source of access tokens. @internal */
export interface TokenSource {
  /** A token for this call. Never a token this source was told is rejected. */
  token(request?: TokenRequest): Promise<string>;
  /**
   * The token {@link TokenSource.token} would give at once with nothing else to do (cached, fresh, not
   * due for renewal), without a promise; `undefined` sends the caller to `token`. The hot path.
   */
  fresh?(): string | undefined;
  /**
   * The API rejected `token` (a 401): forget it in every layer (memory, shared store, broker), so that
   * the next {@link TokenSource.token} gives another one.
   */
  rejected(token: string): Promise<void>;
  /** False when asking again cannot give another token (a fixed token): a 401 is then not replayed. */
  readonly renewable: boolean;
  /**
   * True for a token of this source known to lack the audience the API expects: a 401 for it is
   * `ERR_AUDIENCE`, and not replayed (a new token with the same scope would lack it too).
   */
  lacksAudience(token: string): boolean;
}

/**
 * The fixed `token` option: handed out as it is until `expiresAt` (epoch ms on `now`), then
 * `ERR_TOKEN_EXPIRED`. @internal
 */
export function fixedTokenSource(
  token: string,
  expiresAt: number,
  now: () => number,
  audience?: AudienceCheck,
): TokenSource {
  // Only a JWT's `aud` says anything of a fixed token's audience; it is looked at once.
  const lacking = audience?.(token, undefined);
  return {
    token: () =>
      now() >= expiresAt
        ? Promise.reject(new RapidataAuthError("ERR_TOKEN_EXPIRED", `The fixed "token" has expired`))
        : Promise.resolve(token),
    fresh: () => now() < expiresAt ? token : undefined,
    rejected: () => Promise.resolve(),
    renewable: false,
    lacksAudience: (rejected) => rejected === token && !!lacking,
  };
}

/**
 * Checks a token's audience (with its granted or requested `scope`), reports a lacking one (the
 * `audience` event) and says whether it lacks it. @internal
 */
export type AudienceCheck = (token: string, scope: string | undefined) => boolean;

/** The {@link AudienceCheck} for `expected`, reporting through `emit`. @internal */
export function audienceCheck(expected: string, emit: Emit): AudienceCheck {
  return (token, scope) => {
    const { audience, ok } = audienceOf(token, expected, scope);
    if (ok === false) emit({ type: "audience", expected, audience, scope });
    return ok === false;
  };
}
