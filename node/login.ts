/**
 * Browser login, Rapidata's bridge flow (as the Python SDK does it): a bridge session, the user's
 * browser on the authorize URL, polling for the user's token, then a new API client whose credentials
 * go into the credentials file. Node and Deno only.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { hostname } from "node:os";
import process from "node:process";
import { race } from "../src/http/deadline.ts";
import { RapidataError } from "../src/errors.ts";
import { sleep } from "../src/http/retry.ts";
import { X_CLIENT } from "../src/http/transport.ts";
import { onlyKnown } from "../src/internal/known.ts";
import {
  authBase,
  CREDENTIALS_OPTIONS,
  type CredentialsOptions,
  saveCredentials,
  type StoredCredentials,
} from "./credentials.ts";

/** Options of {@link login}. */
export interface LoginOptions extends CredentialsOptions {
  /** Opens `url` in the user's browser; resolves to false if it could not. @default the system's opener (or `$BROWSER`) */
  open?: (url: string) => boolean | Promise<boolean>;
  /** Hears the login URL before the browser opens. @default writes it to standard error (the browser may not open) */
  onUrl?: (url: string) => void;
  /** Called before each poll, for a waiting indicator. */
  onPoll?: () => void;
  /** Milliseconds between polls. @default 1000 */
  pollInterval?: number;
  /** Milliseconds to wait for the browser login. @default 300000 (5 minutes) */
  timeout?: number;
  /** Milliseconds one request to the identity server may take. @default 30000 */
  requestTimeout?: number;
  /** The new client's display name. @default `${hostname} - TypeScript client` */
  displayName?: string;
  /** `fetch` for the identity server. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Cancels the login. */
  signal?: AbortSignal;
}

/** The members of {@link LoginOptions}. */
const LOGIN_OPTIONS = [
  ...CREDENTIALS_OPTIONS,
  "open",
  "onUrl",
  "onPoll",
  "pollInterval",
  "timeout",
  "requestTimeout",
  "displayName",
  "fetch",
  "signal",
];

const CLI_CLIENT = "rapidata-cli";
const SCOPE = "openid profile email api";

/** Opens `url` with `$BROWSER` or the platform's opener, without waiting for it. */
export function openBrowser(url: string): Promise<boolean> {
  const browser = process.env.BROWSER;
  const [command, args] = browser
    ? [browser, [url]]
    : process.platform === "darwin"
    ? ["open", [url]]
    : process.platform === "win32"
    ? ["rundll32", ["url.dll,FileProtocolHandler", url]]
    : ["xdg-open", [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: "ignore", detached: true });
      child.once("error", () => resolve(false));
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

function failure(message: string, cause?: unknown): RapidataError {
  return new RapidataError("ERR_LOGIN", `Rapidata login failed: ${message}`, { cause });
}

/**
 * Logs in through the browser and stores new API client credentials in the credentials file:
 * `POST {auth}/identity/bridge-token?clientId=rapidata-cli`, the user's browser on
 * `{auth}/connect/authorize/external?…`, polling `GET {auth}/identity/bridge-token?readKey=…` every
 * second for up to 5 minutes, then `POST {auth}/Client` with the user's token. Returns the stored
 * credentials (the secret stays hidden from logs).
 *
 * @throws {RapidataError} `ERR_LOGIN` when a step fails or the wait times out.
 * @example
 * ```ts
 * import { login } from "@rapidata/fetch/node";
 *
 * const stored = await login({ onUrl: (url) => console.error(`Open ${url} to log in`) });
 * console.log(`Logged in as client ${stored.clientId}`);
 * ```
 */
export async function login(options: LoginOptions = {}): Promise<StoredCredentials> {
  onlyKnown(options, LOGIN_OPTIONS, "login");
  const base = authBase(options);
  const request = options.fetch ?? fetch;
  const { signal } = options;
  const deadline = Date.now() + (options.timeout ?? 300_000);
  const requestTimeout = options.requestTimeout ?? 30_000;
  const late = () => failure(`${base} did not answer within ${requestTimeout} ms`);
  /** One request, settled within `requestTimeout` even if the server (or `fetch`) never answers. */
  const call = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("x-client", X_CLIENT);
    try {
      return await race(
        requestTimeout,
        late,
        signal,
        (attempt) => request(`${base}${path}`, { ...init, headers, signal: attempt }),
      );
    } catch (cause) {
      if (signal?.aborted || cause instanceof RapidataError) throw cause;
      throw failure(`could not reach ${base}`, cause);
    }
  };
  /** The JSON of a 2xx answer (no cause on a parse error: its message would quote the body, a secret). */
  const answer = async (response: Response, what: string) => {
    if (!response.ok) {
      await response.body?.cancel();
      throw failure(`${what} answered HTTP ${response.status}`);
    }
    try {
      return await race(requestTimeout, late, signal, () => response.json(), null) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof RapidataError || signal?.aborted) throw error;
      throw failure(`${what} answered with something that is not JSON`);
    }
  };

  const session = await answer(
    await call(`/identity/bridge-token?clientId=${CLI_CLIENT}`, { method: "POST" }),
    "the bridge session",
  );
  const { readKey, writeKey } = session;
  if (typeof readKey !== "string" || typeof writeKey !== "string") throw failure("the bridge session has no keys");
  const url = `${base}/connect/authorize/external?clientId=${CLI_CLIENT}&scope=${encodeURIComponent(SCOPE)}` +
    `&writeKey=${encodeURIComponent(writeKey)}`;
  (options.onUrl ?? ((text) => process.stderr.write(`Open this URL to log in: ${text}\n`)))(url);
  await (options.open ?? openBrowser)(url);

  let userToken: unknown;
  for (;;) {
    if (Date.now() >= deadline) throw failure("nobody completed the login in the browser in time");
    options.onPoll?.();
    const response = await call(`/identity/bridge-token?readKey=${encodeURIComponent(readKey)}`);
    if (response.status === 202) {
      await response.body?.cancel();
      await sleep(Math.max(0, Math.min(options.pollInterval ?? 1000, deadline - Date.now())), signal);
      continue;
    }
    userToken = (await answer(response, "the bridge"))?.accessToken;
    break;
  }
  if (typeof userToken !== "string" || userToken === "") throw failure("the bridge gave no access token");

  const displayName = options.displayName ?? `${hostname()} - TypeScript client`;
  const created = await answer(
    await call("/Client", {
      method: "POST",
      headers: { authorization: `Bearer ${userToken}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ displayName }),
    }),
    "creating the API client",
  );
  const { clientId, clientSecret } = created;
  if (typeof clientId !== "string" || typeof clientSecret !== "string") {
    throw failure("the new API client came without credentials");
  }
  const { environment, authUrl, file } = options;
  return saveCredentials({ clientId, clientSecret, displayName }, { environment, authUrl, file });
}
