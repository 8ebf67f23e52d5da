/**
 * Endpoints. Rapidata environments are domains: `rapidata.ai` (production), `rabbitdata.ch` (test),
 * `rapidata.dev` (local). Each maps to fixed API and auth URLs; no discovery request is made.
 *
 * @module
 */

import { invalidOption } from "./errors.ts";

/** The endpoints a client talks to. @internal */
export interface Endpoints {
  /** API base, no trailing slash, e.g. `https://api.rapidata.ai`. */
  apiUrl: string;
  /** The API's origin: the only origin that sees our token and headers. */
  apiOrigin: string;
  /** Auth base, no trailing slash, e.g. `https://auth.rapidata.ai`. */
  authUrl: string;
  /** `<auth base>/connect/token` */
  tokenEndpoint: string;
  /** `<auth base>/` */
  issuer: string;
  /** The audience the API expects in tokens: `https://api.<environment>` (apiUrl overrides do not change it). */
  audience: string;
}

/** Dot-separated labels ending in one that starts with a letter: no scheme, port, path or spaces. */
const DOMAIN = /^(?:[a-z\d-]+\.)+[a-z][a-z\d-]*$/i;
/**
 * `localhost` and its subdomains, 127.0.0.0/8 and `[::1]`, as a WHATWG URL spells its hostname (the
 * parser lowercases names and normalises IPv4 addresses, so four numbers are a valid address).
 */
const LOOPBACK = /^(?:(?:.*\.)?localhost|127(?:\.\d+){3}|\[::1\])$/;

/**
 * Validates a base URL option: absolute http(s), no credentials, query or fragment; `http:` only for a
 * loopback host. Returns it without a trailing slash.
 */
function checkBaseUrl(value: unknown, field: string): string {
  let url: URL | undefined;
  try {
    if (typeof value === "string" || value instanceof URL) url = new URL(value);
  } catch { /* reported below */ }
  if (!url) invalidOption(field, "is not an absolute URL");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.test(url.hostname))) {
    invalidOption(field, "must use https: (http: only on loopback)");
  }
  if (url.username || url.password) invalidOption(field, "must not contain credentials");
  // Also an empty one ("https://api.example/?"): its "?" or "#" would precede every path.
  if (/[?#]/.test(url.href)) invalidOption(field, "must not contain a query or fragment");
  return url.href.replace(/\/+$/, "");
}

/** Builds the endpoints for an environment domain (default `rapidata.ai`) plus optional overrides. @internal */
export function resolveEndpoints(environment: unknown, apiUrl?: unknown, authUrl?: unknown): Endpoints {
  if (environment !== undefined && (typeof environment !== "string" || !DOMAIN.test(environment))) {
    invalidOption("environment", `must be a domain such as "rapidata.ai"`);
  }
  const domain = environment?.toLowerCase() ?? "rapidata.ai";
  const apiBase = apiUrl === undefined ? `https://api.${domain}` : checkBaseUrl(apiUrl, "apiUrl");
  const authBase = authUrl === undefined ? `https://auth.${domain}` : checkBaseUrl(authUrl, "authUrl");
  return {
    apiUrl: apiBase,
    apiOrigin: new URL(apiBase).origin,
    authUrl: authBase,
    tokenEndpoint: `${authBase}/connect/token`,
    issuer: `${authBase}/`,
    // Production's is Rapidata's; for other environments `https://api.<environment>` is an assumption.
    audience: `https://api.${domain}`,
  };
}
