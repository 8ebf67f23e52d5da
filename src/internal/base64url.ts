/**
 * base64url (RFC 4648 §5, no padding), written once for the client, the stores and the stand-in.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Encodes bytes (or a string, as UTF-8) as base64url without padding. @internal */
export function base64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes base64url (padding optional); throws on anything that is not base64. @internal */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
