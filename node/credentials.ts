/**
 * The Python SDK's credentials file, `~/.config/rapidata/credentials.json`: a JSON object keyed by the
 * auth base URL (`https://auth.rapidata.ai`), each key a list of
 * `{display_name, client_id, client_secret, endpoint, created_at, last_used}`. Node and Deno only.
 *
 * Reading picks the entry with the newest `last_used` and marks it used. Writing is atomic (a 0600 temp
 * file in the same 0700 directory, then a rename), never goes through a symbolic link, and keeps every
 * entry and field it does not understand, so the Python SDK and this package can share the file.
 *
 * @module
 */

import fs from "node:fs";
import { homedir, hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { resolveEndpoints } from "../src/endpoints.ts";
import { showOnly } from "../src/internal/hide.ts";
import { onlyKnown } from "../src/internal/known.ts";

/** Credentials of one Rapidata API client, as stored by `rapidata-fetch login` or the Python SDK. */
export interface StoredCredentials {
  readonly clientId: string;
  /** Not enumerable: never in `JSON.stringify` or `console.log` output. */
  readonly clientSecret: string;
  readonly displayName: string | undefined;
  /** The auth base URL the entry belongs to, such as `https://auth.rapidata.ai`. */
  readonly endpoint: string;
  /** The credentials file it came from. */
  readonly file: string;
}

/** Where the credentials live and for which environment. */
export interface CredentialsOptions {
  /** Rapidata environment (a domain). @default "rapidata.ai" */
  environment?: string;
  /** Auth base URL, overriding `environment` (the file's key). @default `https://auth.${environment}` */
  authUrl?: string | URL;
  /** The credentials file. @default `~/.config/rapidata/credentials.json` */
  file?: string;
}

/** The members of {@link CredentialsOptions} (any other is a misspelling). @internal */
export const CREDENTIALS_OPTIONS = ["environment", "authUrl", "file"];

type Entry = Record<string, unknown>;
type FileContent = Record<string, unknown>;

/** The default credentials file of the current user (the Python SDK's). */
export function credentialsFile(): string {
  return join(homedir(), ".config", "rapidata", "credentials.json");
}

/**
 * The key of an environment in the file: its auth base URL without a trailing slash
 * (`https://auth.rapidata.ai`). Checked as `createClient` checks it: `https:` (or `http:` on loopback),
 * no credentials, query or fragment in the URL, and an environment that is a domain.
 *
 * @throws {TypeError} for an unusable `environment` or `authUrl`.
 * @example
 * ```ts
 * import { authBase } from "@rapidata/fetch/node";
 *
 * console.log(authBase({ environment: "rabbitdata.ch" })); // https://auth.rabbitdata.ch
 * ```
 */
export function authBase(options: Pick<CredentialsOptions, "environment" | "authUrl"> = {}): string {
  return resolveEndpoints(options.environment || undefined, undefined, options.authUrl).issuer.replace(/\/$/, "");
}

function read(file: string): FileContent {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return {};
    throw error;
  }
  let data: unknown;
  try {
    data = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON: fix or remove it (it is never overwritten while unreadable)`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new Error(`${file} is not a JSON object keyed by auth URL: fix or remove it`);
  }
  return data as FileContent;
}

/**
 * Removes temp files of writers that crashed before their rename (`<file>.tmp.<pid>.<random>`, older
 * than LOCK_STALE_MS): each is a full copy of the credentials. Runs holding the lock.
 */
function removeStaleTemps(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.tmp.`;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((name) => name.startsWith(prefix));
  } catch { /* no directory yet */ }
  for (const name of names) {
    try {
      const path = join(dir, name);
      if (Date.now() - fs.lstatSync(path).mtimeMs > LOCK_STALE_MS) fs.unlinkSync(path);
    } catch { /* gone already */ }
  }
}

/** How long a writer waits for another's lock on the credentials file before it gives up. */
const LOCK_WAIT_MS = 10_000;
/**
 * A lock older than this is stale whoever holds it (a read-modify-rename takes milliseconds); shorter
 * than the wait, so a writer outlasts any lock left behind.
 */
const LOCK_STALE_MS = 5_000;

/** This machine's name, for lock files ("" where the runtime may not read it, e.g. Deno without --allow-sys). */
function thisHost(): string {
  try {
    return hostname();
  } catch {
    return "";
  }
}

/** Blocks the thread for `ms` (the credentials functions are synchronous). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * True when the lock (its content and modification time) was left by a process that is gone, or is
 * older than LOCK_STALE_MS. A lock whose content is not written yet is a fresh one.
 */
function isStale(content: string, modified: number): boolean {
  if (!(Date.now() - modified < LOCK_STALE_MS)) return true;
  const [pid, host] = content.split("\n");
  if (!pid || host === undefined || host !== thisHost()) return false; // being written, or another machine's
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ESRCH"; // no such process: it crashed holding the lock
  }
}

/**
 * Runs `work` holding `<file>.lock` (created with O_EXCL), so that concurrent writers of this package
 * never lose each other's entries. A lock left by a crashed process (gone, or older than 5 s) is
 * broken; a live holder is waited for, at most `waitMs`.
 */
function locked<T>(file: string, work: () => T, waitMs = LOCK_WAIT_MS): T {
  const lock = `${file}.lock`;
  for (let started = Date.now(), wait = 2;; wait = Math.min(wait * 2, 50)) {
    if (create(lock)) {
      try {
        return work();
      } finally {
        try {
          fs.unlinkSync(lock);
        } catch { /* broken by another writer meanwhile */ }
      }
    }
    const seen = lockState(lock);
    if (seen && isStale(seen.content, seen.modified)) {
      breakStale(lock);
      continue;
    }
    if (seen) {
      if (Date.now() - started > waitMs) {
        throw new Error(`${file} is locked by another writer (${lock}); try again, or remove the lock file`);
      }
      pause(wait);
    }
  }
}

/** Creates `path` exclusively with this process's pid and host in it; false if it exists. */
function create(path: string): boolean {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW = 0 } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return false;
    throw error;
  }
  try {
    fs.writeFileSync(fd, `${process.pid}\n${thisHost()}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** A lock's content and modification time, or `undefined` when there is none. */
function lockState(path: string): { content: string; modified: number } | undefined {
  try {
    return { modified: fs.statSync(path).mtimeMs, content: fs.readFileSync(path, "utf8") };
  } catch {
    return undefined; // released meanwhile
  }
}

/**
 * Removes the lock `path` if it is (still) stale. Breakers take turns through `<lock>.break`, so two
 * writers that both saw a stale lock cannot have the second remove the fresh lock the first took.
 */
function breakStale(path: string): void {
  const breaker = `${path}.break`;
  if (!create(breaker)) {
    const held = lockState(breaker);
    if (held && isStale(held.content, held.modified)) {
      try {
        fs.unlinkSync(breaker); // a breaker that crashed
      } catch { /* gone already */ }
    }
    return; // another writer is breaking it: try again
  }
  try {
    const seen = lockState(path);
    if (seen && isStale(seen.content, seen.modified)) fs.unlinkSync(path);
  } catch {
    /* gone already */
  } finally {
    fs.unlinkSync(breaker);
  }
}

/**
 * Applies `change` to the file's content and writes the result atomically: a new 0600 temp file next
 * to it (created exclusively, never through a symbolic link), flushed, then renamed over the file. A
 * crash leaves the old file whole. Writers of this package take turns through a lock file, and the file
 * is read right before writing, so that an entry another writer (a login, the Python SDK) added moments
 * ago is kept.
 */
function modify(file: string, change: (data: FileContent) => void, waitMs?: number): void {
  const dir = dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    fs.chmodSync(dir, 0o700);
  } catch { /* not ours to change (or no POSIX modes): the file itself is still 0600 */ }
  locked(file, () => write(file, change), waitMs);
}

function write(file: string, change: (data: FileContent) => void): void {
  removeStaleTemps(file);
  const data = read(file);
  change(data);
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(file);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  if (existing?.isSymbolicLink()) {
    throw new Error(`${file} is a symbolic link: refusing to write credentials through it`);
  }
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0"));
  const temp = `${file}.tmp.${process.pid}.${random.join("")}`;
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW = 0 } = fs.constants;
  const fd = fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    try {
      fs.writeFileSync(fd, `${JSON.stringify(data, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(temp, 0o600); // in case a umask or the file system changed it
    fs.renameSync(temp, file);
  } catch (error) {
    try {
      fs.unlinkSync(temp);
    } catch { /* already gone */ }
    throw error;
  }
}

function entriesOf(data: FileContent, endpoint: string): Entry[] {
  const list = data[endpoint];
  if (list !== undefined && !Array.isArray(list)) {
    throw new Error(`credentials for ${endpoint} are not a list in the credentials file: fix or remove that entry`);
  }
  return (list ?? []).filter((e): e is Entry => e !== null && typeof e === "object");
}

const usable = (entry: Entry) =>
  typeof entry.client_id === "string" && entry.client_id !== "" &&
  typeof entry.client_secret === "string" && entry.client_secret !== "";

/**
 * Epoch ms of an ISO 8601 time as the Python SDK writes it, with its full precision (microseconds):
 * `…Z`, `…+00:00`, or without an offset (taken as UTC, as the SDK's times are). -Infinity if unreadable.
 */
function time(value: unknown): number {
  const match = typeof value === "string" &&
    /^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/i.exec(value.trim());
  if (!match) return -Infinity;
  const ms = Date.parse(`${match[1]}${match[3] ?? "Z"}`);
  return Number.isNaN(ms) ? -Infinity : ms + Number(`0${match[2] ?? ""}`) * 1000;
}

/** Our view of an entry; the secret is hidden from serialisation and inspection. */
function view(entry: Entry, endpoint: string, file: string): StoredCredentials {
  const credentials = {
    clientId: entry.client_id as string,
    displayName: typeof entry.display_name === "string" ? entry.display_name : undefined,
    endpoint,
    file,
  };
  Object.defineProperty(credentials, "clientSecret", { value: entry.client_secret });
  return Object.freeze(showOnly(credentials, "StoredCredentials", { ...credentials })) as StoredCredentials;
}

/**
 * The stored credentials for an environment: the entry with the newest `last_used`, which is then
 * marked as used now (as the Python SDK does; a file that cannot be written is only read).
 * `undefined` when the file or the environment has none.
 *
 * @throws {Error} if the file exists but is not JSON.
 * @example
 * ```ts
 * import { loadCredentials } from "@rapidata/fetch/node";
 *
 * const stored = loadCredentials({ environment: "rapidata.ai" });
 * console.log(stored?.clientId ?? "not logged in");
 * ```
 */
export function loadCredentials(options: CredentialsOptions = {}): StoredCredentials | undefined {
  onlyKnown(options, CREDENTIALS_OPTIONS, "loadCredentials");
  const file = options.file ?? credentialsFile();
  const endpoint = authBase(options);
  let newest: Entry | undefined;
  for (const entry of entriesOf(read(file), endpoint)) {
    if (usable(entry) && (!newest || time(entry.last_used) > time(newest.last_used))) newest = entry;
  }
  if (!newest) return undefined;
  const chosen = newest;
  try {
    modify(file, (data) => {
      // The same entry: id, secret and creation time (two entries may share an id, or even id and secret).
      const again = entriesOf(data, endpoint).find((entry) =>
        entry.client_id === chosen.client_id && entry.client_secret === chosen.client_secret &&
        entry.created_at === chosen.created_at
      );
      if (again) again.last_used = new Date().toISOString();
    }, 1_000); // marking it used is worth a short wait, not a long one
  } catch { /* read-only home, or a symbolic link: using the credentials matters more */ }
  return view(chosen, endpoint, file);
}

/**
 * Adds credentials for an environment to the file (the Python SDK's format), keeping everything else.
 *
 * @example
 * ```ts
 * import { saveCredentials } from "@rapidata/fetch/node";
 *
 * saveCredentials({ clientId: "my-id", clientSecret: "my-secret", displayName: "CI runner" });
 * ```
 */
export function saveCredentials(
  credentials: { clientId: string; clientSecret: string; displayName?: string },
  options: CredentialsOptions = {},
): StoredCredentials {
  onlyKnown(options, CREDENTIALS_OPTIONS, "saveCredentials");
  for (const field of ["clientId", "clientSecret", "displayName"] as const) {
    const value = credentials?.[field];
    if ((field !== "displayName" || value !== undefined) && (typeof value !== "string" || value === "")) {
      throw new TypeError(`saveCredentials: "${field}" must be a non-empty string`);
    }
  }
  const file = options.file ?? credentialsFile();
  const endpoint = authBase(options);
  const now = new Date().toISOString();
  const entry: Entry = {
    display_name: credentials.displayName ?? "TypeScript client",
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    endpoint,
    created_at: now,
    last_used: now,
  };
  modify(file, (data) => {
    entriesOf(data, endpoint); // refuses a key that is not a list
    data[endpoint] = [...(data[endpoint] as unknown[] | undefined) ?? [], entry];
  });
  return view(entry, endpoint, file);
}

/**
 * Removes every stored credential of one environment (`rapidata-fetch logout`); other environments
 * stay. Returns whether there was anything to remove.
 *
 * @example
 * ```ts
 * import { removeCredentials } from "@rapidata/fetch/node";
 *
 * removeCredentials({ environment: "rabbitdata.ch" });
 * ```
 */
export function removeCredentials(options: CredentialsOptions = {}): boolean {
  onlyKnown(options, CREDENTIALS_OPTIONS, "removeCredentials");
  const file = options.file ?? credentialsFile();
  const endpoint = authBase(options);
  let removed = false;
  if (endpoint in read(file)) {
    modify(file, (data) => {
      removed = delete data[endpoint];
    });
  }
  return removed;
}
