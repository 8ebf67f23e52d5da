/**
 * `durableObjectStore(namespace)` and the `RapidataTokenBroker` Durable Object: one object per
 * (token endpoint, client id, scope) owns the token, so every isolate in every location asks the same
 * object and the fleet makes one token request per token lifetime.
 *
 * The broker fetches tokens itself, through the same client-credentials code as the client, keeps
 * them in its memory (nothing is written to storage) and single-flights concurrent requests. The
 * client secret travels to the object inside your account (a Durable Object stub is not reachable
 * from the internet). If the broker fails, the client falls back to the token endpoint.
 *
 * @module
 */

import { requestToken } from "../client_credentials.ts";
import { RapidataError } from "../errors.ts";
import { sleep, withRetries } from "../retry.ts";
import { type CachedToken, cacheKey, getToken } from "../token_cache.ts";
import { attempt, type RapidataTokenStore, type StoreContext, storeKey } from "./seal.ts";

/** The part of a `DurableObjectNamespace` this store uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** The broker may itself be fetching a token (with retries): wait longer than for a plain store. */
const BROKER_PATIENCE = 30_000;

interface BrokerRequest {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  clientAuthentication?: string;
  leeway?: number;
  timeout?: number;
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
        tokenEndpoint: context.tokenEndpoint,
        clientId: context.clientId,
        clientSecret: context.clientSecret,
        scope: context.scope,
        clientAuthentication: context.clientAuthentication,
        leeway: context.leeway,
        timeout: context.timeout,
      };
      return {
        async load() {
          const token = await attempt("get", emit, async () => {
            const stub = namespace.get(namespace.idFromName(key ??= await storeKey(context)) as never);
            const response = await stub.fetch("https://broker.invalid/token", {
              method: "POST",
              body: JSON.stringify(body),
            });
            if (!response.ok) throw new Error(`broker answered ${response.status}`);
            return await response.json() as CachedToken;
          }, BROKER_PATIENCE);
          // No jitter here: the broker itself serialises renewals for the whole fleet.
          return token && now() < context.freshUntil(token) ? { ...token, stored: true } : undefined;
        },
        save: () => Promise.resolve(), // the broker fetched it: nothing to write
      };
    },
  };
}

/**
 * The Durable Object that owns tokens for {@link durableObjectStore}. Export it from your Worker and
 * bind it (see the README's wrangler.toml).
 */
export class RapidataTokenBroker {
  /** @param _state the Durable Object state (unused: tokens live in memory) @param _env the Worker's env */
  constructor(_state?: unknown, _env?: unknown) {}

  /** Answers `POST /token` with `{ token, issuedAt, expiresAt }`, fetching a token when needed. */
  async fetch(request: Request): Promise<Response> {
    let body: BrokerRequest;
    try {
      body = await request.json() as BrokerRequest;
    } catch {
      return new Response("expected JSON", { status: 400 });
    }
    const issuer = body.tokenEndpoint.replace(/connect\/token$/, "");
    const config = {
      tokenEndpoint: body.tokenEndpoint,
      issuer,
      clientId: body.clientId,
      clientSecret: body.clientSecret,
      scope: body.scope,
      clientAuthentication: body.clientAuthentication === "client_secret_post"
        ? "client_secret_post" as const
        : "client_secret_basic" as const,
      fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, init),
      timeout: body.timeout ?? 30_000,
      now: Date.now,
      limit: 3,
      delay: 250,
      maxDelay: 60_000,
      sleep,
      emit: () => {},
    };
    try {
      const token = await getToken({
        // Its own entry: a client in this isolate may be waiting on the broker for the very same key.
        key: `broker\n${await cacheKey(body.tokenEndpoint, body.clientId, body.clientSecret, body.scope)}`,
        leeway: body.leeway ?? 60,
        now: Date.now,
        stallAfter: Math.min(config.timeout, 5_000) + 100,
        emit: () => {},
        fetchToken: (renewing, waiting) =>
          withRetries(
            config,
            "token",
            () => requestToken(config),
            (status, transient) => !renewing && (transient || status! >= 500 || status === 429),
            { waiting },
          ),
      });
      return Response.json({ token: token.token, issuedAt: token.issuedAt, expiresAt: token.expiresAt });
    } catch (error) {
      const code = error instanceof RapidataError ? error.code : "ERR_NETWORK";
      return Response.json({ code }, { status: 502 });
    }
  }
}
