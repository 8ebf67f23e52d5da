/**
 * Rapidata environments are domains: `rapidata.ai` (production), `rabbitdata.ch` (test),
 * `rapidata.dev` (local). Each maps to fixed API and auth URLs; no discovery request is made.
 *
 * @module
 */

/**
 * The scope requested by default, as Rapidata's Python SDK does. The `api` scope is what makes the
 * identity server issue tokens whose audience is the Rapidata API (`https://api.rapidata.ai`).
 *
 * @example
 * ```ts
 * import { DEFAULT_SCOPE, createClient } from "@rapidata/fetch";
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", scope: `${DEFAULT_SCOPE} profile` });
 * ```
 */
export const DEFAULT_SCOPE = "openid email api";

/** Production. */
export const DEFAULT_ENVIRONMENT = "rapidata.ai";

/** The endpoints a client talks to. @internal */
export interface Endpoints {
  /** API base, no trailing slash, e.g. `https://api.rapidata.ai`. */
  apiBase: string;
  /** Auth base, no trailing slash, e.g. `https://auth.rapidata.ai`. */
  authBase: string;
  /** `<authBase>/connect/token` */
  tokenEndpoint: string;
  /** `<authBase>/` */
  issuer: string;
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i;
const LOOPBACK_V4 = /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** True for `localhost`, 127.0.0.0/8 and `[::1]`. @internal */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || LOOPBACK_V4.test(host);
}

/**
 * Validates a base URL option: absolute http(s), no credentials, query or fragment; `http:` only for a
 * loopback host. Returns it without a trailing slash. @internal
 */
export function checkBaseUrl(value: unknown, field: string): string {
  if (typeof value !== "string" && !(value instanceof URL)) {
    throw new TypeError(`createClient: "${field}" must be a URL string`);
  }
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`createClient: "${field}" is not an absolute URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`createClient: "${field}" must use https: (got ${url.protocol})`);
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    throw new TypeError(
      `createClient: "${field}" must use https: (plain http: is only allowed for localhost, 127.0.0.0/8 and [::1])`,
    );
  }
  if (url.username || url.password) throw new TypeError(`createClient: "${field}" must not contain credentials`);
  if (url.search || url.hash) throw new TypeError(`createClient: "${field}" must not contain a query or fragment`);
  return url.href.replace(/\/+$/, "");
}

/** Builds the endpoints for an environment domain plus optional overrides. @internal */
export function resolveEndpoints(environment: unknown, apiUrl?: unknown, authUrl?: unknown): Endpoints {
  let domain = DEFAULT_ENVIRONMENT;
  if (environment !== undefined) {
    if (typeof environment !== "string" || !DOMAIN.test(environment)) {
      throw new TypeError(
        `createClient: "environment" must be a domain such as "rapidata.ai" or "rabbitdata.ch" (no scheme, no path)`,
      );
    }
    domain = environment.toLowerCase();
  }
  const apiBase = apiUrl === undefined ? `https://api.${domain}` : checkBaseUrl(apiUrl, "apiUrl");
  const authBase = authUrl === undefined ? `https://auth.${domain}` : checkBaseUrl(authUrl, "authUrl");
  return { apiBase, authBase, tokenEndpoint: `${authBase}/connect/token`, issuer: `${authBase}/` };
}
