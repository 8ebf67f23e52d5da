/**
 * `fromEnv`: a client from `RAPIDATA_CLIENT_ID`, `RAPIDATA_CLIENT_SECRET` and `RAPIDATA_ENVIRONMENT`.
 *
 * @module
 */

import { type ClientOptions, createClient, type RapidataClient } from "./client.ts";
import { resolveEndpoints } from "./endpoints.ts";
import { onlyKnown } from "./internal/known.ts";
import { OPTION_NAMES } from "./options.ts";

/** A Workers `env` object, or any record of variables. */
export type EnvSource = Readonly<Record<string, unknown>>;

interface DenoLike {
  env?: { get(name: string): string | undefined };
}

/** Reads a variable: from `env` when given, else `Deno.env`, else Node's process environment. */
function read(env: EnvSource | undefined, name: string): string | undefined {
  let value: unknown;
  if (env !== undefined) {
    value = env[name];
  } else {
    const deno = (globalThis as { Deno?: DenoLike }).Deno;
    const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    try {
      value = deno?.env ? deno.env.get(name) : proc?.env?.[name];
    } catch {
      value = undefined; // Deno without --allow-env: treated as unset
    }
  }
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Where a client goes, as options. */
export interface Place {
  environment?: string;
  apiUrl?: string | URL;
  authUrl?: string | URL;
}

/**
 * The one rule for the environment variables that say where a client goes: what the caller passes
 * explicitly (`environment`, `apiUrl`, `authUrl`, a CLI flag) always wins, and the variables fill in only
 * what it left open: `RAPIDATA_ENVIRONMENT`, and `RAPIDATA_API_URL` / `RAPIDATA_AUTH_URL` only without an
 * explicit `environment` (an environment and its URLs go together). A variable with a bad value is a
 * `TypeError` naming the variable (`who` says whose). Used by `fromEnv`, the Node entry and the CLI.
 * @internal
 */
export function placeFromEnv(get: (name: string) => string | undefined, explicit: Place, who: string): Place {
  const open = explicit.environment === undefined;
  const variable = (name: string, field: keyof Place) => {
    const value = get(name) || undefined;
    if (value === undefined) return undefined;
    try {
      resolveEndpoints(
        field === "environment" ? value : undefined,
        field === "apiUrl" ? value : undefined,
        field === "authUrl" ? value : undefined,
      );
    } catch (error) {
      // The option's rule, said of the variable.
      throw new TypeError(`${who}: ${name} ${(error as Error).message.replace(/^createClient: "\w+" /, "")}`);
    }
    return value;
  };
  return {
    environment: explicit.environment ?? variable("RAPIDATA_ENVIRONMENT", "environment"),
    apiUrl: explicit.apiUrl ?? (open ? variable("RAPIDATA_API_URL", "apiUrl") : undefined),
    authUrl: explicit.authUrl ?? (open ? variable("RAPIDATA_AUTH_URL", "authUrl") : undefined),
  };
}

/**
 * Creates a client from environment variables: `RAPIDATA_CLIENT_ID`, `RAPIDATA_CLIENT_SECRET` and
 * (optional) `RAPIDATA_ENVIRONMENT`, read from `env` (a Workers `env` object) when given, else from
 * `Deno.env` or Node's `process.env`. Empty strings count as unset. Two optional extras point the
 * client elsewhere (a proxy, a local stand-in): `RAPIDATA_API_URL` and `RAPIDATA_AUTH_URL`, as the
 * `apiUrl` / `authUrl` options. `options` are passed to `createClient` and win over the variables; an
 * explicit `environment` also over the URL variables (they go with an environment). A variable with a
 * bad value is a `TypeError` that names it.
 *
 * @throws {TypeError} naming the variable that is missing.
 * @example
 * ```ts
 * import { fromEnv } from "@rapidata/fetch";
 *
 * export default {
 *   async fetch(_request: Request, env: Record<string, string>): Promise<Response> {
 *     const rapidata = fromEnv(env);
 *     return Response.json(await rapidata.get("/orders"));
 *   },
 * };
 * ```
 */
export function fromEnv(env?: EnvSource, options: Omit<ClientOptions, "token" | "expiresAt"> = {}): RapidataClient {
  return createClient(envOptions(env, options));
}

/** The client options `fromEnv` makes of `env` and `options` (the workerd entry uses them too). @internal */
export function envOptions(env?: EnvSource, options: Omit<ClientOptions, "token" | "expiresAt"> = {}): ClientOptions {
  if (env !== undefined && (env === null || typeof env !== "object")) {
    throw new TypeError("fromEnv: env must be an object of variables (such as a Workers env)");
  }
  if (options === null || typeof options !== "object") throw new TypeError("fromEnv: options must be an object");
  onlyKnown(options, OPTION_NAMES.filter((name) => name !== "token" && name !== "expiresAt"), "fromEnv");
  const clientId = options.clientId ?? read(env, "RAPIDATA_CLIENT_ID");
  const clientSecret = options.clientSecret ?? read(env, "RAPIDATA_CLIENT_SECRET");
  if (clientId === undefined) throw new TypeError("fromEnv: RAPIDATA_CLIENT_ID is not set (or empty)");
  if (clientSecret === undefined) throw new TypeError("fromEnv: RAPIDATA_CLIENT_SECRET is not set (or empty)");
  return { ...options, clientId, clientSecret, ...placeFromEnv((name) => read(env, name), options, "fromEnv") };
}
