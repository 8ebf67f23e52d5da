/**
 * Sealing for shared token stores: values are encrypted with AES-GCM under a key derived with HKDF
 * (SHA-256) from the client secret and bound to (token endpoint, client id, scope); the store key is
 * a SHA-256 hash of those three, so neither the client id nor the secret appears in a store. An entry
 * that does not unseal (tampered, another secret, another format) is a miss, never an error.
 *
 * Only the store adapters import this module, so a Worker that uses no store does not bundle it.
 *
 * @module
 */

import type { Emit } from "../events.ts";
import type { RetryOptions } from "../http/retry.ts";
import { base64url, fromBase64url } from "../internal/base64url.ts";
import { nearest } from "../internal/known.ts";
import type { CachedToken } from "../token/cache.ts";

const METHODS = { get: 1, set: 1, delete: 1 };

/** Envelope version, the first part of every sealed value. */
const VERSION = "rf1";
const encoder = new TextEncoder();

/** The raw storage a shared store needs: opaque strings with a time to live. */
export interface TokenStore {
  /** The value stored under `key`, or `null` / `undefined` when there is none. */
  get(key: string): Promise<string | null | undefined>;
  /** Stores `value` under `key` for `ttl` seconds (at least 1). */
  set(key: string, value: string, ttl: number): Promise<void>;
  /** Removes `key` (optional). */
  delete?(key: string): Promise<void>;
  /**
   * Stores `value` under `key` for `ms` milliseconds only if `key` holds nothing, atomically (Redis
   * `SET NX PX`); true when it did (optional: a store with it serialises renewals by lease).
   */
  add?(key: string, value: string, ms: number): Promise<boolean>;
}

/** What the client hands a store: which credential set, and how to tell a token is fresh. @internal */
export interface StoreContext {
  readonly tokenEndpoint: string;
  /** The auth base URL (a broker resolves its own token endpoint from it, as the client does). */
  readonly authUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  /** The client's leeway in seconds (a broker renews by it). */
  readonly leeway?: number;
  /** The client's per-attempt timeout in ms. */
  readonly timeout?: number;
  /** How the client authenticates at the token endpoint. */
  readonly clientAuthentication?: string;
  /** The client's retry options (a broker retries token requests as the client would). */
  readonly retry?: RetryOptions;
  /** Epoch ms after which a stored token should no longer be handed out (its renewal time). */
  readonly freshUntil: (token: CachedToken) => number;
}

/** The client's view of a shared store, bound to one credential set; never throws. @internal */
export interface BoundStore {
  /** The longest a `load` may take, in ms (a store operation's timeout). */
  readonly patience: number;
  /**
   * A fresh stored token, never one `isRejected` names, nor (for stores other isolates write) `renewing`,
   * the caller's token in its renewal window.
   */
  load(isRejected?: (token: string) => boolean, renewing?: CachedToken): Promise<CachedToken | undefined>;
  save(token: CachedToken): Promise<void>;
  /** The API rejected `token`: the store no longer hands it out (deleted, or a tombstone over it). */
  reject(token: string): Promise<void>;
  /**
   * Takes the renewal lease of this credential set for at most `ms` (stores with an atomic add): its
   * release for the one process that may fetch a token now (called once the token is stored, or the
   * fetch failed), `undefined` while another holds it. A failing store grants it.
   */
  lease?(ms: number): Promise<(() => Promise<void>) | undefined>;
}

/** A shared token store as `createClient`'s `store` option takes it (see the adapters). */
export interface RapidataTokenStore {
  /** @internal Binds the store to one credential set. */
  bind(context: StoreContext, now: () => number, emit: Emit): BoundStore;
}

/** The store key: a SHA-256 hash of (token endpoint, client id, scope). @internal */
export async function storeKey(context: StoreContext): Promise<string> {
  const id = `${context.tokenEndpoint}\n${context.clientId}\n${context.scope}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(id)));
  return `rapidata-fetch:${base64url(digest)}`;
}

async function sealingKey(context: StoreContext): Promise<CryptoKey> {
  const secret = await crypto.subtle.importKey("raw", encoder.encode(context.clientSecret), "HKDF", false, [
    "deriveKey",
  ]);
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: encoder.encode("@rapidata/fetch token store"),
      info: encoder.encode(`${VERSION}\n${context.tokenEndpoint}\n${context.clientId}\n${context.scope}`),
    },
    secret,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Seals a token for `key`. @internal */
export async function seal(context: StoreContext, key: string, token: CachedToken): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  // The granted scope too: it says an opaque token's audience in the isolates that load it.
  const plain = encoder.encode(JSON.stringify([token.token, token.issuedAt, token.expiresAt, token.scope]));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(key) },
    await sealingKey(context),
    plain,
  );
  return `${VERSION}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/** Unseals a value stored under `key`; `undefined` for anything that does not unseal. @internal */
export async function unseal(context: StoreContext, key: string, value: string): Promise<CachedToken | undefined> {
  try {
    const [version, iv, data] = value.split(".");
    if (version !== VERSION || !iv || !data) return undefined;
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64url(iv), additionalData: encoder.encode(key) },
      await sealingKey(context),
      fromBase64url(data),
    );
    const [token, issuedAt, expiresAt, scope] = JSON.parse(new TextDecoder().decode(plain)) as unknown[];
    if (typeof token !== "string" || typeof issuedAt !== "number" || typeof expiresAt !== "number") return undefined;
    return typeof scope === "string" ? { token, issuedAt, expiresAt, scope } : { token, issuedAt, expiresAt };
  } catch {
    return undefined;
  }
}

/** Store operations may fail or hang: neither may fail or delay an API call for long. @internal */
export const STORE_TIMEOUT = 2_000;
/** Written over a rejected token where a store cannot delete: it unseals to nothing, so it is a miss. */
const TOMBSTONE = "rf1-rejected";
const TIMED_OUT = Symbol("timed out");
/** Seconds a tombstone written without knowing the token's expiry lives (a save overwrites it anyway). */
const UNKNOWN_TOMBSTONE_TTL = 3_600;

/** Runs a store operation; a failure or a timeout is reported and becomes `undefined`. @internal */
export async function attempt<T>(
  operation: "get" | "set" | "delete",
  emit: Emit,
  run: () => Promise<T>,
  limit = STORE_TIMEOUT,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await Promise.race([
      run(),
      new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(resolve, limit, TIMED_OUT))),
    ]);
    if (result !== TIMED_OUT) return result;
    emit({ type: "store", operation, timeout: true });
  } catch {
    emit({ type: "store", operation, timeout: false });
  } finally {
    clearTimeout(timer);
  }
  return undefined;
}

/**
 * A stored token as this isolate keeps it, or `undefined` when it is due for renewal. Its expiry is
 * moved earlier by a random part of half the renewal margin, so the isolates sharing one token do not
 * all reach its renewal at the same moment (and all miss the store together): the first renews and
 * stores the new token, the later ones find it (not needed where renewals take a lease). @internal
 */
export function handOut(
  token: CachedToken,
  context: StoreContext,
  now: () => number,
  jitter = true,
): CachedToken | undefined {
  const freshUntil = context.freshUntil(token);
  if (now() >= freshUntil) return undefined;
  const early = jitter ? Math.random() * (token.expiresAt - freshUntil) / 2 : 0;
  return { ...token, expiresAt: token.expiresAt - early, stored: true };
}

/**
 * Wraps a raw {@link TokenStore} into a store `createClient` accepts: values are sealed, failures and
 * timeouts of the store are misses, and a stored token is used only while it is fresh.
 *
 * @example
 * ```ts
 * import { createClient, customStore } from "@rapidata/fetch";
 *
 * // e.g. Redis over HTTP, in a few lines
 * const redis = customStore({
 *   get: async (key) => (await (await fetch(`https://redis.example/get/${key}`)).json()).result,
 *   set: async (key, value, ttl) => void await fetch(`https://redis.example/set/${key}/${value}/EX/${ttl}`),
 * });
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", store: redis });
 * ```
 */
export function customStore(store: TokenStore): RapidataTokenStore {
  if (typeof store?.get !== "function" || typeof store.set !== "function") {
    throw new TypeError("customStore: the store needs get(key) and set(key, value, ttl) methods");
  }
  // A misspelt method ("delet") would silently turn deletes into tombstones; other members are the store's own.
  for (const key of Object.keys(store)) {
    const near = !(key in METHODS) && nearest(key, ["get", "set", "delete"]);
    if (near && typeof store[near as keyof TokenStore] !== "function") {
      throw new TypeError(`customStore: "${key}" is not a store method. Did you mean "${near}"?`);
    }
  }
  return {
    bind(context, now, emit) {
      // The key is kept as a string, never as a promise another request could be left waiting on.
      let key: string | undefined;
      /** The stored token; `undefined` for none (or one that does not unseal), `null` when the read failed. */
      const read = async () => {
        const got = await attempt(
          "get",
          emit,
          async () => ({ value: await store.get(key ??= await storeKey(context)) }),
        );
        if (!got) return null;
        return typeof got.value === "string" ? await unseal(context, key!, got.value) : undefined;
      };
      return {
        patience: STORE_TIMEOUT,
        async load(isRejected, renewing) {
          const token = await read();
          return token && !isRejected?.(token.token) && token.token !== renewing?.token
            // With leases renewals are serialised already: no jitter (it would only renew early).
            ? handOut(token, context, now, !store.add)
            : undefined;
        },
        async save(token) {
          const ttl = Math.floor((context.freshUntil(token) - now()) / 1000);
          if (ttl < 1) return;
          key ??= await storeKey(context);
          const value = await seal(context, key, token);
          await attempt("set", emit, () => store.set(key!, value, ttl));
        },
        lease: store.add && (async (ms) => {
          key ??= await storeKey(context);
          const lease = `${key}.lease`;
          // The holder's identity does not matter: the lease only says "someone is fetching".
          if (await attempt("set", emit, () => store.add!(lease, "1", ms)) === false) return undefined;
          return async () => void await attempt("delete", emit, () => store.delete?.(lease) ?? Promise.resolve());
        }),
        async reject(token) {
          const stored = await read();
          // Gone already, or another isolate stored a newer one. When the read failed, the rejected token
          // may still be there: it goes anyway (at worst a newer token is dropped and renewed once more).
          if (stored !== null && stored?.token !== token) return;
          key ??= await storeKey(context);
          if (store.delete) {
            await attempt("delete", emit, () => store.delete!(key!));
          } else {
            // Lives as long as the token it covers would have been handed out (unknown after a failed read).
            const until = stored ? context.freshUntil(stored) : now() + UNKNOWN_TOMBSTONE_TTL * 1000;
            const ttl = Math.max(1, Math.ceil((until - now()) / 1000));
            await attempt("set", emit, () => store.set(key!, TOMBSTONE, ttl));
          }
        },
      };
    },
  };
}
