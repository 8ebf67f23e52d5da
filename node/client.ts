/**
 * `createClient` for scripts and terminals (Node, Deno): credentials resolved as Rapidata's Python SDK
 * does, plus a token file that is re-read when its token expires.
 *
 * @module
 */

import fs from "node:fs";
import process from "node:process";
import { createClient as createCoreClient, createClientFor, type RapidataClient } from "../src/client.ts";
import { placeFromEnv } from "../src/env.ts";
import { RapidataError } from "../src/errors.ts";
import { onlyKnown } from "../src/internal/known.ts";
import { type ClientOptions, OPTION_NAMES, resolveOptions } from "../src/options.ts";
import { type AudienceCheck, audienceCheck, fixedTokenSource, type TokenSource } from "../src/token/source.ts";
import { authBase, loadCredentials } from "./credentials.ts";

/** Options of the Node/Deno {@link createClient}: the core options, all optional. */
export interface NodeClientOptions extends ClientOptions {
  /** The credentials file. @default `~/.config/rapidata/credentials.json` */
  credentialsFile?: string;
  /** Environment variables to read. @default `process.env` */
  env?: Readonly<Record<string, string | undefined>>;
}

const variable = (env: NodeClientOptions["env"], name: string) => env?.[name] || undefined;

/** Re-read this long before the token file's token expires (as the Python SDK does). */
const TOKEN_FILE_LEEWAY = 60;

/** A token file's token: `{access_token, token_type, expires_at}` (epoch seconds or an ISO date). */
function readTokenFile(file: string): { token: string; expiresAt: number } {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // No cause: a JSON error quotes the file's text, which is a token.
    throw new RapidataError("ERR_NO_CREDENTIALS", `RAPIDATA_TOKEN_FILE ${file} is missing or not JSON`);
  }
  const token = data?.access_token;
  const type = data?.token_type;
  if (typeof token !== "string" || token === "") {
    throw new RapidataError("ERR_NO_CREDENTIALS", `RAPIDATA_TOKEN_FILE ${file} has no "access_token"`);
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    // Never quoted: a header could not carry it, and a message must not show it.
    throw new RapidataError(
      "ERR_NO_CREDENTIALS",
      `RAPIDATA_TOKEN_FILE ${file}: "access_token" has characters a header cannot carry (a newline?)`,
    );
  }
  if (type !== undefined && (typeof type !== "string" || type.toLowerCase() !== "bearer")) {
    throw new RapidataError("ERR_NO_CREDENTIALS", `RAPIDATA_TOKEN_FILE ${file}: "token_type" must be Bearer`);
  }
  const raw = data.expires_at;
  const expiresAt = typeof raw === "number" ? raw : typeof raw === "string" ? Date.parse(raw) / 1000 : Infinity;
  if (Number.isNaN(expiresAt)) {
    throw new RapidataError("ERR_NO_CREDENTIALS", `RAPIDATA_TOKEN_FILE ${file}: "expires_at" is not a time`);
  }
  return { token, expiresAt };
}

/**
 * The token of `file` as a token source. The file is read again when it has changed (whoever renews the
 * token rewrites it), in the last minute before its token expires, and after the API rejected its token.
 * A failure to read it rejects the call.
 */
function tokenFileSource(file: string, now: () => number, audience: AudienceCheck): TokenSource {
  let current: { source: TokenSource; token: string; expiresAt: number; modified: number } | undefined;
  const source = (): TokenSource => {
    let modified = NaN;
    try {
      modified = fs.statSync(file).mtimeMs;
    } catch { /* reported by the read below */ }
    if (!current || modified !== current.modified || now() >= (current.expiresAt - TOKEN_FILE_LEEWAY) * 1000) {
      const { token, expiresAt } = readTokenFile(file);
      current = { source: fixedTokenSource(token, expiresAt * 1000, now, audience), token, expiresAt, modified };
    }
    return current.source;
  };
  return {
    token: async (request) => await source().token(request),
    rejected: (token) => {
      if (current?.token === token) current = undefined; // read the file again
      return Promise.resolve();
    },
    // A 401 is replayed once the file holds another token.
    renewable: true,
    lacksAudience: (token) => current?.source.lacksAudience(token) ?? false,
  };
}

/**
 * Creates a Rapidata client for a script or a terminal, with credentials resolved in the Python SDK's
 * order:
 *
 * 1. `clientId` + `clientSecret` (or `token`) in `options`;
 * 2. `RAPIDATA_TOKEN_FILE`: a JSON file `{access_token, token_type, expires_at}`, read again when it
 *    changes and in the last minute before its token expires (before the variables below, as in the
 *    Python SDK: a process handed a token file should not fetch tokens of its own);
 * 3. `RAPIDATA_CLIENT_ID` + `RAPIDATA_CLIENT_SECRET`;
 * 4. the credentials file (`~/.config/rapidata/credentials.json`, shared with the Python SDK), entry of
 *    this environment's auth URL with the newest `last_used`;
 * 5. otherwise a `RapidataError` `ERR_NO_CREDENTIALS` that suggests `rapidata-fetch login`.
 *
 * `environment`, `apiUrl` and `authUrl` default to `RAPIDATA_ENVIRONMENT`, `RAPIDATA_API_URL` and
 * `RAPIDATA_AUTH_URL`; an explicit `environment` is not overridden by the URL variables.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch/node";
 *
 * const rapidata = createClient(); // after `npx @rapidata/fetch login`
 * console.log(await rapidata.get("/orders", { query: { page: 1 } }));
 * ```
 */
export function createClient(options: NodeClientOptions = {}): RapidataClient {
  if (options === null || typeof options !== "object") throw new TypeError("createClient: options must be an object");
  onlyKnown(options, [...OPTION_NAMES, "credentialsFile", "env"], "createClient");
  const { credentialsFile, env = process.env, ...rest } = options;
  // Explicit options win; the variables fill in only what the caller left open (the one rule of fromEnv).
  const core: ClientOptions = { ...rest, ...placeFromEnv((name) => variable(env, name), rest, "createClient") };
  if (core.token !== undefined || core.clientId !== undefined || core.clientSecret !== undefined) {
    return createCoreClient(core);
  }
  const tokenFile = variable(env, "RAPIDATA_TOKEN_FILE");
  if (tokenFile !== undefined) {
    // Validated as a client on a fixed token would be; the token itself comes from the file.
    const resolved = resolveOptions({ ...core, token: "token-file" });
    // A rewritten or re-read file with the same token is looked at once (one audience event per token).
    const check = audienceCheck(resolved.audience, resolved.emit);
    let checked: { token: string; lacks: boolean } | undefined;
    const audience: AudienceCheck = (token, scope) =>
      (checked?.token === token ? checked : checked = { token, lacks: check(token, scope) }).lacks;
    return createClientFor(resolved, tokenFileSource(tokenFile, resolved.now, audience), {
      apiUrl: resolved.endpoints.apiUrl,
      tokenFile,
    });
  }
  const clientId = variable(env, "RAPIDATA_CLIENT_ID");
  const clientSecret = variable(env, "RAPIDATA_CLIENT_SECRET");
  if (clientId !== undefined || clientSecret !== undefined) {
    if (clientId === undefined) {
      throw new TypeError("createClient: RAPIDATA_CLIENT_SECRET is set but not RAPIDATA_CLIENT_ID");
    }
    if (clientSecret === undefined) {
      throw new TypeError("createClient: RAPIDATA_CLIENT_ID is set but not RAPIDATA_CLIENT_SECRET");
    }
    return createCoreClient({ ...core, clientId, clientSecret });
  }
  const stored = loadCredentials({ environment: core.environment, authUrl: core.authUrl, file: credentialsFile });
  if (stored) return createCoreClient({ ...core, clientId: stored.clientId, clientSecret: stored.clientSecret });
  const base = authBase({ environment: core.environment, authUrl: core.authUrl });
  const flag = core.authUrl !== undefined
    ? ` --auth-url ${base}`
    : core.environment !== undefined
    ? ` --environment ${core.environment}`
    : "";
  throw new RapidataError(
    "ERR_NO_CREDENTIALS",
    `No Rapidata credentials for ${base}: run \`npx @rapidata/fetch login${flag}\`, set RAPIDATA_CLIENT_ID and ` +
      `RAPIDATA_CLIENT_SECRET, or pass clientId and clientSecret`,
  );
}
