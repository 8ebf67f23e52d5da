/**
 * The `rapidata-fetch` command line: token check, authenticated calls, login and logout. Arguments are
 * parsed with `node:util`'s `parseArgs`; runs on Node and Deno.
 *
 * @module
 */

import fs from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { placeFromEnv } from "../src/env.ts";
import { isRapidataError } from "../src/errors.ts";
import { decodeJwt } from "../src/testing/jwt.ts";
import { resolveEndpoints } from "../src/endpoints.ts";
import { DEFAULT_SCOPE } from "../src/options.ts";
import { resolveUrl } from "../src/http/url.ts";
import { audienceOf } from "../src/token/audience.ts";
import { nearest } from "../src/internal/known.ts";
import { VERSION } from "../src/version.ts";
import { createClient } from "./client.ts";
import { authBase, credentialsFile, removeCredentials } from "./credentials.ts";
import { login } from "./login.ts";

/** Where the CLI writes and what it reads; tests and embedders pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Environment variables. */
  env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout / stderr are terminals. */
  stdoutTty: boolean;
  stderrTty: boolean;
  /** Reads standard input (for `--data @-`). */
  stdin: () => string;
}

const COMMANDS = ["token", "get", "post", "put", "patch", "delete", "login", "logout", "help"];

const HELP = `rapidata-fetch ${VERSION}: the Rapidata API from a terminal

Usage:
  rapidata-fetch token [--raw | --json]      show the access token's claims; exit 1 unless aud includes the API
  rapidata-fetch get PATH [--query k=v ...]  authenticated call (also post, put, patch, delete)
        [--data JSON | --data @file | --data @-] [--json]
  rapidata-fetch login                       log in with the browser; stores API client credentials
  rapidata-fetch logout                      remove this environment's stored credentials

Options:
  --environment DOMAIN   rapidata.ai (default), rabbitdata.ch, … (or RAPIDATA_ENVIRONMENT)
  --scope SCOPES         token scope (default "openid email api")
  --api-url URL          API base URL (or RAPIDATA_API_URL)
  --auth-url URL         identity server base URL (or RAPIDATA_AUTH_URL)
  --raw                  token: print the raw token (and nothing else)
  --json                 print JSON as received (no pretty printing)
  -h, --help             this help
  -v, --version          the version

Credentials: RAPIDATA_CLIENT_ID + RAPIDATA_CLIENT_SECRET, RAPIDATA_TOKEN_FILE, or the credentials file
(~/.config/rapidata/credentials.json, shared with Rapidata's Python SDK) that \`login\` writes.

Examples:
  npx @rapidata/fetch login
  npx @rapidata/fetch token
  npx @rapidata/fetch get /orders --query page=1 --query page_size=5
  npx @rapidata/fetch post /dataset --data '{"name":"cats"}'
  deno run -A npm:@rapidata/fetch/cli token --environment rabbitdata.ch
`;

/** The payload of a JWT, or undefined when the token is not one. */
const claimsOf = (token: string) => token.split(".").length === 3 ? decodeJwt(token) : undefined;

function relative(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const text = minutes < 1 ? "less than a minute" : minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === "string" ? value.split(" ").filter(Boolean) : [];

/**
 * Runs `rapidata-fetch` with `argv` (without the program) and returns the exit code: 0 on success, 1 on
 * a failed call or an audience check that fails, 2 on a usage error.
 *
 * @example
 * ```ts
 * import { main } from "@rapidata/fetch/cli";
 *
 * const code = await main(["get", "/orders", "--json"]);
 * ```
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const color = !io.env.NO_COLOR;
  const paint = (tty: boolean, code: number, text: string) => color && tty ? `\x1b[${code}m${text}\x1b[0m` : text;
  const err = (text: string) => io.stderr(`${text}\n`);
  const usage = (text: string) => (err(`${paint(io.stderrTty, 31, "error:")} ${text}`), err("Try --help."), 2);

  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: FLAGS });
  } catch (error) {
    return usage(parseError(error));
  }
  const { values, positionals } = parsed;
  if (values.version) return io.stdout(`${VERSION}\n`), 0;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    return io.stdout(HELP), command ? 0 : values.help ? 0 : 2;
  }
  if (!COMMANDS.includes(command)) {
    const near = nearest(command, COMMANDS);
    return usage(`unknown command "${command}"${near ? `. Did you mean "${near}"?` : ""}`);
  }

  let requested = false; // TypeErrors before any request are usage errors
  let target: URL | undefined; // the URL of a get/post/… command
  try {
    // A flag wins over the variables, --environment also over the URL variables (the one rule of fromEnv).
    const flags = { environment: values.environment, authUrl: values["auth-url"], apiUrl: values["api-url"] };
    const { apiUrl, ...where } = placeFromEnv((name) => io.env[name], flags, "rapidata-fetch") as {
      environment?: string;
      authUrl?: string;
      apiUrl?: string;
    };
    if (command === "login") return await loginCommand(io, where, paint);
    if (command === "logout") {
      const removed = removeCredentials(where);
      io.stdout(`${removed ? "Removed the stored credentials" : "No stored credentials"} for ${authBase(where)}.\n`);
      return 0;
    }
    const client = createClient({ ...where, apiUrl, scope: values.scope, env: io.env });
    if (command === "token") {
      if (rest.length > 0) return usage(`"token" takes no arguments (got "${rest[0]}")`);
      requested = true;
      const token = await client.accessToken();
      return tokenCommand(io, token, where.environment, values.scope, values, paint);
    }
    // get | post | put | patch | delete
    if (rest.length !== 1) return usage(`"${command}" takes one PATH, such as /orders`);
    // The library's rule and message for a PATH.
    const url = new URL(resolveUrl(rest[0], client.apiUrl, new URL(client.apiUrl).origin));
    target = url;
    for (const pair of values.query ?? []) {
      const at = pair.indexOf("=");
      if (at < 1) return usage(`--query takes key=value (got "${pair}")`);
      url.searchParams.append(pair.slice(0, at), pair.slice(at + 1));
    }
    let body: string | undefined;
    if (values.data !== undefined) {
      if (command === "get") return usage(`"get" takes no --data`);
      const text = values.data === "@-"
        ? io.stdin()
        : values.data.startsWith("@")
        ? fs.readFileSync(values.data.slice(1), "utf8")
        : values.data;
      try {
        JSON.parse(text);
      } catch {
        return usage("--data is not valid JSON");
      }
      body = text;
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    requested = true;
    const response = await client.fetch(url, { method: command.toUpperCase(), headers, body });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch { /* not JSON: printed as it is */ }
    if (!response.ok) {
      const problem = (json ?? {}) as Record<string, unknown>;
      // The status text once: a title that repeats it is left out.
      const said = [problem.title, problem.detail]
        .filter((v) => typeof v === "string" && v && v !== response.statusText).join(": ");
      err(`${paint(io.stderrTty, 31, `HTTP ${response.status}`)} ${response.statusText}${said ? ` — ${said}` : ""}`);
      const errors = problem.errors && typeof problem.errors === "object" ? problem.errors : {};
      for (const [field, messages] of Object.entries(errors)) err(`  ${field}: ${list(messages).join(" ")}`);
      const trace = response.headers.get("x-trace-id") ?? (typeof problem.traceId === "string" ? problem.traceId : "");
      if (trace) err(`trace id: ${trace}`);
      if (values.json && text) io.stdout(`${text}\n`);
      return 1;
    }
    if (text !== "") {
      io.stdout(
        json !== undefined && io.stdoutTty && !values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (!requested && error instanceof TypeError && !isRapidataError(error)) return usage(error.message);
    err(`${paint(io.stderrTty, 31, "error:")} ${messageOf(error, target)}`);
    return 1;
  }
}

/** The command line's flags (parseArgs' options). */
const FLAGS = {
  environment: { type: "string" },
  scope: { type: "string" },
  "api-url": { type: "string" },
  "auth-url": { type: "string" },
  query: { type: "string", short: "q", multiple: true },
  data: { type: "string", short: "d" },
  raw: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;
const OPTIONS = Object.keys(FLAGS);

/** What the CLI says of a failure: the library's message; a plain fetch failure names the host. */
function messageOf(error: unknown, target: URL | undefined): string {
  if (isRapidataError(error)) {
    // The CLI has no clientId / clientSecret options to pass.
    return error.code === "ERR_NO_CREDENTIALS"
      ? error.message.replace(/, or pass clientId and clientSecret$/, "")
      : error.message;
  }
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? ` (${cause.code})` : "";
  return target && error instanceof TypeError
    ? `could not reach ${target.origin}${code}: ${error.message}`
    : String((error as Error)?.message ?? error);
}

/** parseArgs' errors in our words (its own quote the option oddly and suggest "--" to everyone). */
function parseError(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  // "Option '-d, --data <value>' argument missing": the long name.
  const option = /'(?:-\w, )?(-[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    const near = nearest(option.replace(/^-+/, ""), OPTIONS);
    return `unknown option "${option}"${near ? `. Did you mean "--${near}"?` : ""}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return /does not take/.test(message) ? `${option} takes no value` : `${option} needs a value`;
  }
  return message;
}

type Paint = (tty: boolean, code: number, text: string) => string;

function tokenCommand(
  io: CliIo,
  token: string,
  environment: string | undefined,
  scope: string | undefined,
  values: { raw?: boolean; json?: boolean },
  paint: Paint,
): number {
  // The library's own rule and default: https://api.<environment>.
  const expected = resolveEndpoints(environment).audience;
  const claims = claimsOf(token);
  // The library's verdict: the claims, else the requested scope (the granted one is not known here).
  const { audience, ok: carries } = audienceOf(token, expected, scope ?? DEFAULT_SCOPE);
  const audiences = [...audience ?? []];
  const ok = carries === true;
  if (values.raw) {
    io.stdout(`${token}\n`);
    return ok ? 0 : 1;
  }
  if (!claims) {
    io.stderr(
      ok
        ? `The access token is not a JWT; the "api" scope was requested, so it should carry ${expected}.\n`
        : `The access token is not a JWT and the "api" scope was not requested: it lacks ${expected}.\n`,
    );
    return ok ? 0 : 1;
  }
  const exp = typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  const scopes = list(claims.scope ?? claims.scp);
  if (values.json) {
    io.stdout(
      `${
        JSON.stringify({
          audience: audiences,
          scopes,
          expiresAt: exp && new Date(exp).toISOString(),
          clientId: claims.client_id,
          apiAudience: ok,
        })
      }\n`,
    );
  } else {
    const rows: [string, string][] = [
      ["Client id", String(claims.client_id ?? claims.sub ?? "?")],
      ["Audience", audiences.join(", ") || "(none)"],
      ["Scopes", scopes.join(" ") || "(none)"],
      [
        "Expires",
        exp === undefined ? "(no exp claim)" : `${new Date(exp).toISOString()} (${relative(exp - Date.now())})`,
      ],
    ];
    for (const [name, value] of rows) io.stdout(`${`${name}:`.padEnd(11)}${value}\n`);
  }
  if (ok) {
    io.stderr(`${paint(io.stderrTty, 32, "✓")} The audience includes ${expected}.\n`);
  } else {
    io.stderr(
      `${paint(io.stderrTty, 31, "✗")} The audience does not include ${expected}. Request the "api" scope ` +
        `(the default; check --scope) so that the API accepts this token.\n`,
    );
  }
  return ok ? 0 : 1;
}

async function loginCommand(
  io: CliIo,
  where: { environment?: string; authUrl?: string },
  paint: Paint,
): Promise<number> {
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let polls = 0;
  const clear = () => io.stderrTty && polls > 0 && io.stderr("\r\x1b[K");
  const stored = await login({
    ...where,
    onUrl: (url) => io.stderr(`Open this URL to log in (your browser should open it):\n  ${url}\n`),
    onPoll: () => {
      if (io.stderrTty) io.stderr(`\r${frames[polls % frames.length]} Waiting for the login in the browser…`);
      else if (polls === 0) io.stderr("Waiting for the login in the browser…\n");
      polls++;
    },
  }).finally(clear);
  io.stdout(
    `${paint(io.stdoutTty, 32, "Logged in.")} API client ${stored.clientId} (${stored.displayName}) saved to ${
      stored.file === credentialsFile() ? "~/.config/rapidata/credentials.json" : stored.file
    }\n`,
  );
  return 0;
}

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdoutTty: !!process.stdout.isTTY,
    stderrTty: !!process.stderr.isTTY,
    stdin: () => fs.readFileSync(0, "utf8"),
  };
}
