/**
 * What `onEvent` receives, and the emitter that keeps a throwing hook from breaking a call.
 *
 * @module
 */

/**
 * What `onEvent` receives. None of these carries a secret or a token.
 *
 * - `token`: a token was obtained, from the token endpoint or (`stored`) a shared store; `renewal` when
 *   a valid one was being replaced; valid `expiresIn` s.
 * - `grace`: renewing failed, but the cached token is valid for `expiresIn` more seconds and stays in use.
 * - `retry`: attempt `attempt` of the token request or API call starts after `delay` ms, because of
 *   HTTP `status` or error `code`.
 * - `replay`: the API answered 401; the client dropped that token everywhere (memory, store, broker),
 *   got a fresh one and sends the request once more.
 * - `store`: the shared token store failed (or took longer than 2 s) on `get`, `set` or `delete`; the call
 *   goes on without it.
 * - `audience`: a token (once per token) lacks the `expected` audience: Rapidata's API will refuse it
 *   once it enforces the audience. `audience` is the token's own (when it is a readable JWT), `scope`
 *   the granted (else requested) scope. Request the `api` scope.
 */
export type RapidataEvent =
  | { type: "token"; renewal: boolean; expiresIn: number; stored: boolean }
  | { type: "grace"; expiresIn: number; code: string; status?: number }
  | { type: "retry"; target: "token" | "api"; attempt: number; delay: number; status?: number; code?: string }
  | { type: "replay"; status: 401 }
  | { type: "store"; operation: "get" | "set" | "delete"; timeout: boolean }
  | { type: "audience"; expected: string; audience: readonly string[] | undefined; scope: string | undefined };

/** Sends events to the caller's hook; exceptions it throws are ignored. @internal */
export type Emit = (event: RapidataEvent) => void;

/** The emitter for `onEvent` (a no-op without one). @internal */
export function emitter(onEvent: ((event: RapidataEvent) => void) | undefined): Emit {
  return (event) => {
    try {
      onEvent?.(event);
    } catch { /* the hook's own problem */ }
  };
}
