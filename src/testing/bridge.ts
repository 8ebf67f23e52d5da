/**
 * The stand-in's browser-login bridge, as Rapidata's identity server has it for its CLI clients:
 * `POST /identity/bridge-token?clientId=rapidata-cli` hands out a read key and a write key, the browser
 * completes `GET /connect/authorize/external?…&writeKey=…`, the CLI polls
 * `GET /identity/bridge-token?readKey=…` (202 until done, then 200 with a user access token) and
 * creates an API client with `POST /Client`.
 *
 * In the stand-in, opening the authorize URL (a plain GET, no browser needed) logs a user in at once.
 *
 * @module
 */

import { json } from "./http.ts";
import { base64url } from "../internal/base64url.ts";

/** What the bridge needs from the stand-in. @internal */
export interface BridgeHost {
  /** Registers a client and returns its credentials. */
  addClient(): { clientId: string; clientSecret: string };
  /** Signs a user access token with these claims. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** The claims of a token the stand-in signed, if valid. */
  verify(token: string): Promise<Record<string, unknown> | undefined>;
  /** The stand-in's clock, epoch milliseconds. */
  now(): number;
}

/** What the bridge saw, for tests. */
export interface BridgeStats {
  /** Bridge sessions started (`POST /identity/bridge-token`). */
  sessions: number;
  /** Polls of a read key, answered 202 or 200. */
  polls: number;
  /** The `scope` of the last authorize request, decoded. */
  lastScope: string | undefined;
  /** Display names of the clients created through `POST /Client`, in order. */
  displayNames: string[];
}

interface Session {
  readKey: string;
  writeKey: string;
  token?: string;
}

const CLI_CLIENT = "rapidata-cli";

/** The bridge's routes; `undefined` for a path that is not one of them. @internal */
export function createBridge(host: BridgeHost): {
  handle(request: Request, url: URL): Promise<Response> | undefined;
  stats: BridgeStats;
} {
  const sessions = new Map<string, Session>(); // by read key and by write key
  const stats: BridgeStats = { sessions: 0, polls: 0, lastScope: undefined, displayNames: [] };
  const key = () => base64url(crypto.getRandomValues(new Uint8Array(18)));
  const text = (status: number, body: string) =>
    new Response(body, { status, headers: { "content-type": "text/plain" } });

  async function handle(request: Request, url: URL): Promise<Response> {
    const { pathname, searchParams: query } = url;
    if (pathname === "/identity/bridge-token" && request.method === "POST") {
      if (query.get("clientId") !== CLI_CLIENT) return text(400, "unknown clientId");
      const session: Session = { readKey: key(), writeKey: key() };
      sessions.set(session.readKey, session).set(session.writeKey, session);
      stats.sessions++;
      return json(200, { readKey: session.readKey, writeKey: session.writeKey });
    }
    if (pathname === "/identity/bridge-token" && request.method === "GET") {
      const session = sessions.get(query.get("readKey") ?? "");
      if (!session || session.readKey !== query.get("readKey")) return text(404, "unknown readKey");
      stats.polls++;
      if (!session.token) return new Response(null, { status: 202 });
      sessions.delete(session.readKey);
      sessions.delete(session.writeKey);
      return json(200, { accessToken: session.token });
    }
    if (pathname === "/connect/authorize/external" && request.method === "GET") {
      const session = sessions.get(query.get("writeKey") ?? "");
      const scope = query.get("scope") ?? "";
      stats.lastScope = scope;
      if (!session || session.writeKey !== query.get("writeKey")) return text(400, "unknown writeKey");
      if (query.get("clientId") !== CLI_CLIENT) return text(400, "unknown clientId");
      if (!scope.split(" ").includes("openid")) return text(400, "the scope must include openid");
      const iat = Math.floor(host.now() / 1000);
      session.token = await host.sign({ sub: `user-${key()}`, client_id: CLI_CLIENT, scope, iat, exp: iat + 600 });
      return new Response("<!doctype html><p>You are logged in. You can close this window.</p>", {
        headers: { "content-type": "text/html" },
      });
    }
    if (pathname === "/Client" && request.method === "POST") {
      const match = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "");
      const claims = match ? await host.verify(match[1]!) : undefined;
      const fresh = typeof claims?.exp === "number" && claims.exp * 1000 > host.now();
      if (!claims || claims.client_id !== CLI_CLIENT || !fresh) return text(401, "a user token is required");
      let displayName: unknown;
      try {
        displayName = (await request.json() as { displayName?: unknown }).displayName;
      } catch { /* handled below */ }
      if (typeof displayName !== "string" || displayName === "") return text(400, "displayName is required");
      stats.displayNames.push(displayName);
      const { clientId, clientSecret } = host.addClient();
      return json(200, { clientId, clientSecret, displayName });
    }
    return text(404, `No route for ${request.method} ${pathname}`);
  }

  const paths = ["/identity/bridge-token", "/connect/authorize/external", "/Client"];
  return {
    handle: (request, url) => paths.includes(url.pathname) ? handle(request, url) : undefined,
    stats,
  };
}
