/**
 * `durableObjectStore(namespace)` and the `RapidataTokenBroker` Durable Object: one object per
 * (token endpoint, client id, scope) owns the token, so every isolate in every location asks the same
 * object and the fleet makes one token request per token lifetime.
 *
 * The broker runs the client's own client-credentials token source (same defaults, retries, renewal in
 * the background), keeps tokens in its memory (nothing is written to storage) and single-flights
 * concurrent requests. Told of a token the API rejected, it renews instead of handing it back. The
 * client secret travels to the object inside your account (a Durable Object stub is not reachable
 * from the internet). If the broker fails, the client falls back to the token endpoint.
 *
 * @module
 */

import { RapidataError } from "../errors.ts";
import type { RetryOptions } from "../http/retry.ts";
import { resolveOptions } from "../options.ts";
import { type CachedToken, TokenCache } from "../token/cache.ts";
import { clientCredentialsSource } from "../token/client_credentials.ts";
import { attempt, type RapidataTokenStore, type StoreContext, storeKey } from "./seal.ts";

/** The part of a `DurableObjectNamespace` this store uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** The broker may itself be fetching a token (with retries): wait longer than for a plain store. */
const BROKER_PATIENCE = 30_000;

interface BrokerRequest {
  authUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  clientAuthentication?: string;
  leeway?: number;
  timeout?: number;
  retry?: RetryOptions;
  /** A token the API rejected: dropped before a token is handed out. */
  rejected?: string;
}

/**
 * A token store backed by a {@link RapidataTokenBroker} Durable Object namespace.
 *
 * @example
 * ```ts
 * import { createClient, durableObjectStore, type DurableObjectNamespaceLike } from "@rapidata/fetch";
 * export { RapidataTokenBroker } from "@rapidata/fetch";
 *
 * export default {
 *   async fetch(_request: Request, env: { BROKER: DurableObjectNamespaceLike; ID: string; SECRET: string }) {
 *     const rapidata = createClient({ clientId: env.ID, clientSecret: env.SECRET, store: durableObjectStore(env.BROKER) });
 *     return Response.json(await rapidata.get("/orders"));
 *   },
 * };
 * ```
 */
export function durableObjectStore(namespace: DurableObjectNamespaceLike): RapidataTokenStore {
  if (typeof namespace?.idFromName !== "function" || typeof namespace.get !== "function") {
    throw new TypeError("durableObjectStore: expected a Durable Object namespace binding (env.<BINDING>)");
  }
  return {
    bind(context: StoreContext, now, emit) {
      let key: string | undefined;
      const body: BrokerRequest = {
        authUrl: context.authUrl,
        clientId: context.clientId,
        clientSecret: context.clientSecret,
        scope: context.scope,
        clientAuthentication: context.clientAuthentication,
        leeway: context.leeway,
        timeout: context.timeout,
        retry: context.retry,
      };
      const ask = (rejected?: string) =>
        attempt("get", emit, async () => {
          const stub = namespace.get(namespace.idFromName(key ??= await storeKey(context)) as never);
          const response = await stub.fetch("https://broker.invalid/token", {
            method: "POST",
            body: JSON.stringify(rejected === undefined ? body : { ...body, rejected }),
          });
          if (!response.ok) throw new Error(`broker answered ${response.status}`);
          return await response.json() as CachedToken;
        }, BROKER_PATIENCE);
      return {
        patience: BROKER_PATIENCE,
        async load(isRejected) {
          const token = await ask();
          // No jitter and no "renewing" miss: the broker itself serialises renewals for the fleet, and
          // hands out its valid token while it renews.
          return token && now() < token.expiresAt && !isRejected?.(token.token)
            ? { ...token, stored: true }
            : undefined;
        },
        save: () => Promise.resolve(), // the broker fetched it: nothing to write
        reject: async (token) => void await ask(token),
      };
    },
  };
}

/**
 * The Durable Object that owns tokens for {@link durableObjectStore}. Export it from your Worker and
 * bind it (see the README's wrangler.toml).
 */
export class RapidataTokenBroker {
  /** Tokens of this object (one credential set per object), apart from any client in the isolate. */
  readonly #cache = new TokenCache();

  /** @param _state the Durable Object state (unused: tokens live in memory) @param _env the Worker's env */
  constructor(_state?: unknown, _env?: unknown) {}

  /**
   * Answers `POST /token` with `{ token, issuedAt, expiresAt }`, fetching a token when needed; a
   * `rejected` token in the request is dropped first (and never handed out).
   */
  async fetch(request: Request): Promise<Response> {
    let body: BrokerRequest;
    let source;
    try {
      body = await request.json() as BrokerRequest;
      // The client's own resolution: the same validation, defaults and retry rules.
      const resolved = resolveOptions({
        authUrl: body.authUrl,
        clientId: body.clientId,
        clientSecret: body.clientSecret,
        scope: body.scope,
        clientAuthentication: body.clientAuthentication as "client_secret_basic" | undefined,
        leeway: body.leeway,
        timeout: body.timeout,
        retry: body.retry,
      });
      source = clientCredentialsSource(
        { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl },
        this.#cache,
      );
    } catch {
      return new Response("expected a token request", { status: 400 });
    }
    try {
      if (typeof body.rejected === "string") await source.rejected(body.rejected);
      const { token, issuedAt, expiresAt, scope } = await source.cached();
      return Response.json({ token, issuedAt, expiresAt, scope });
    } catch (error) {
      const code = error instanceof RapidataError ? error.code : "ERR_NETWORK";
      return Response.json({ code }, { status: 502 });
    }
  }
}
