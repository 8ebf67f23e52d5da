/**
 * Responses and small helpers of the stand-in: JSON, ProblemDetails, OAuth errors, random ids.
 *
 * @module
 */

import { base64url } from "../internal/base64url.ts";

let made = 0;

/**
 * A random id with a prefix. At a Worker's top level, where workerd refuses random values, a counter
 * (unique within the isolate) stands in: a stand-in and its clients may be made there. @internal
 */
export function randomId(prefix: string): string {
  try {
    return `${prefix}${base64url(crypto.getRandomValues(new Uint8Array(12)))}`;
  } catch {
    return `${prefix}global-${++made}`;
  }
}

/**
 * A request's body as UTF-8 text, whatever its content type (workerd warns about `.text()` on a form
 * body). @internal
 */
export async function bodyText(request: Request): Promise<string> {
  return new TextDecoder().decode(await request.arrayBuffer());
}

/** A W3C-style trace id (32 hex digits). @internal */
export function traceId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A JSON response. @internal */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

/** A ProblemDetails response with its trace id. @internal */
export function problem(status: number, title: string, detail?: string, extra: Record<string, unknown> = {}): Response {
  const trace = traceId();
  return new Response(
    JSON.stringify({
      type: `https://tools.ietf.org/html/rfc9110#section-15.${status < 500 ? 5 : 6}.${status % 100 + 1}`,
      title,
      status,
      detail,
      traceId: trace,
      ...extra,
    }),
    { status, headers: { "content-type": "application/problem+json", "x-trace-id": trace } },
  );
}

/** An OAuth error response. @internal */
export function oauthError(status: number, error: string, description: string, challenge = false): Response {
  const headers: Record<string, string> = {};
  if (challenge) headers["www-authenticate"] = `Basic realm="rapidata", error="${error}"`;
  return json(status, { error, error_description: description }, headers);
}

/** RFC 6749 §2.3.1: credentials in Basic auth are form-urlencoded first. @internal */
export function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}

/** A path segment decoded (a malformed escape stays as it is: it names nothing). @internal */
export function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
