/**
 * Reading a JWT's payload without verifying anything: to inform (expiry, audience), never to trust.
 *
 * @module
 */

import { fromBase64url } from "./base64url.ts";

/** The claims of a compact JWS (three parts), or `undefined` for anything else (opaque, encrypted, malformed). @internal */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(parts[1]!)));
    return claims !== null && typeof claims === "object" && !Array.isArray(claims)
      ? claims as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}
