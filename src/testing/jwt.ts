/**
 * Minimal HS256 JWTs for the stand-in: enough to issue JWT-shaped access tokens and check them.
 *
 * @module
 */

const encoder = new TextEncoder();

/** base64url without padding. @internal */
export function base64url(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  let binary = "";
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

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

/** Decodes a JWT's claims without checking anything (for display). @internal */
export function decodeJwt(token: string): Record<string, unknown> | undefined {
  try {
    const claims: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(token.split(".")[1] ?? "")));
    return claims !== null && typeof claims === "object" ? claims as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
