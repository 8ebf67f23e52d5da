/**
 * `@rapidata/fetch/node`: conveniences for scripts and terminals on Node and Deno. Credentials are
 * resolved the way Rapidata's Python SDK resolves them (options, environment, token file, the shared
 * credentials file), and `login` runs the browser login. Never imported by the main entry, so Worker
 * bundles stay free of `node:` modules.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch/node";
 *
 * const rapidata = createClient();
 * console.log(await rapidata.get("/orders"));
 * ```
 *
 * @module
 */

export { createClient, type NodeClientOptions } from "./node/client.ts";
export {
  authBase,
  credentialsFile,
  type CredentialsOptions,
  loadCredentials,
  removeCredentials,
  saveCredentials,
  type StoredCredentials,
} from "./node/credentials.ts";
export { login, type LoginOptions, openBrowser } from "./node/login.ts";
