/**
 * The in-process benchmarks' stand-in for the network: a `fetch` that answers at once with a ready
 * Response (a token for the token endpoint, a small JSON page for anything else), and raw fetch given
 * what the client gives each attempt by default (an AbortController's signal and a 30 s timer).
 */

/** `fetch`'s shape. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const tokenBody = JSON.stringify({ access_token: "a.b.c", token_type: "Bearer", expires_in: 3600 });

/** Answers at once, without any network. */
export const ready: Fetch = (input) =>
  Promise.resolve(
    String(input).endsWith("/connect/token")
      ? new Response(tokenBody, { headers: { "content-type": "application/json" } })
      : new Response('{"ok":true}', { headers: { "content-type": "application/json" } }),
  );

/** `fetchFn(input, init)` with a per-attempt timeout signal, as the client makes one by default. */
export function withTimeoutSignal(fetchFn: Fetch, input: string, init?: RequestInit): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  return fetchFn(input, { ...init, signal: controller.signal }).finally(() => clearTimeout(timer));
}
