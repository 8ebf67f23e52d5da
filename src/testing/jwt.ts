/**
 * Minimal HS256 JWTs for the stand-in: enough to issue JWT-shaped access tokens and check them.
 *
 * @module
 */

import { base64url, fromBase64url } from "../internal/base64url.ts";
import { decodeJwtPayload } from "../internal/jwt.ts";

const encoder = new TextEncoder();

/** A fresh HMAC key for signing. @internal */
export function newSigningKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]) as Promise<
    CryptoKey
  >;
}

/** Signs `claims` as a compact JWS (`typ: at+jwt`). @internal */
export async function signJwt(key: CryptoKey, claims: Record<string, unknown>): Promise<string> {
  const input = `${base64url(JSON.stringify({ alg: "HS256", typ: "at+jwt" }))}.${base64url(JSON.stringify(claims))}`;
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(input)));
  return `${input}.${base64url(signature)}`;
}

/** Verifies the signature and returns the claims, or `undefined` for anything malformed. @internal */
export async function verifyJwt(key: CryptoKey, token: string): Promise<Record<string, unknown> | undefined> {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const valid = await crypto.subtle.verify(
      "HMAC",
      key,
      fromBase64url(parts[2]!),
      encoder.encode(`${parts[0]}.${parts[1]}`),
    );
    if (!valid) return undefined;
    const claims: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(parts[1]!)));
    return claims !== null && typeof claims === "object" ? claims as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Decodes a JWT's claims without checking anything (for display); `undefined` for a token that is no JWT. */
export const decodeJwt: (token: string) => Record<string, unknown> | undefined = decodeJwtPayload;
