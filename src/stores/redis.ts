/**
 * `redisStore(client)`: tokens shared through Redis by every process, pod, function and edge isolate
 * that uses it. Takes a node-redis (v4/v5), an ioredis or an @upstash/redis client, recognised by shape
 * (none is a dependency of this package). Values are sealed as in every store; the TTL is set in
 * milliseconds (`PX`); a revoked token is deleted. Renewals are serialised by a lease (`SET NX PX`):
 * one process renews a credential set per renewal period, the others keep their valid token or, when
 * cold, wait a short while for the leaseholder's token before they fall back to the token endpoint.
 *
 * Upstash's REST client runs on every edge runtime; node-redis and ioredis on Node, Deno and Bun.
 *
 * @module
 */

import { customStore, type RapidataTokenStore } from "./seal.ts";

/** node-redis v4/v5: options objects (`{ PX }`); it has `sendCommand` and an `isOpen` flag. */
export interface NodeRedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { PX: number; NX?: true }): Promise<unknown>;
  del(key: string): Promise<unknown>;
  sendCommand(...args: never[]): unknown;
  readonly isOpen: boolean;
}

/** ioredis: positional arguments (`"PX", ms`); it has `defineCommand`. */
export interface IoRedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: "PX", ms: number, nx?: "NX"): Promise<unknown>;
  del(key: string): Promise<unknown>;
  defineCommand(...args: never[]): unknown;
}

/** @upstash/redis: options objects in lower case (`{ px }`). */
export interface UpstashRedisLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: { px: number; nx?: true }): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/** A Redis client `redisStore` takes. */
export type RedisLike = NodeRedisLike | IoRedisLike | UpstashRedisLike;

/** Which client `client` is, by its shape. */
function kindOf(client: RedisLike): "node-redis" | "ioredis" | "upstash" {
  const shape = client as unknown as Partial<Record<string, unknown>>;
  if (typeof shape.defineCommand === "function") return "ioredis";
  if (typeof shape.sendCommand === "function" && typeof shape.isOpen === "boolean") return "node-redis";
  return "upstash";
}

/**
 * A token store on Redis.
 *
 * @example
 * ```ts
 * import { createClient, redisStore, type RedisLike } from "@rapidata/fetch";
 *
 * declare const redis: RedisLike; // createClient() of node-redis, new Redis() of ioredis, or Redis.fromEnv() of @upstash/redis
 * const rapidata = createClient({ clientId: "id", clientSecret: "secret", store: redisStore(redis) });
 * ```
 */
export function redisStore(client: RedisLike): RapidataTokenStore {
  if (typeof client?.get !== "function" || typeof client.set !== "function" || typeof client.del !== "function") {
    throw new TypeError("redisStore: expected a node-redis, ioredis or @upstash/redis client (get, set, del)");
  }
  const kind = kindOf(client);
  return customStore({
    // Upstash deserialises JSON by default; a sealed value is never JSON, so it comes back as a string.
    get: async (key) => {
      const value = await client.get(key);
      return typeof value === "string" ? value : null;
    },
    set: async (key, value, ttl) => {
      const ms = ttl * 1000;
      if (kind === "ioredis") await (client as IoRedisLike).set(key, value, "PX", ms);
      else if (kind === "node-redis") await (client as NodeRedisLike).set(key, value, { PX: ms });
      else await (client as UpstashRedisLike).set(key, value, { px: ms });
    },
    delete: async (key) => void await client.del(key),
    // SET NX PX: the renewal lease (answers "OK" when set, null when the key exists).
    add: async (key, value, ms) => {
      if (kind === "ioredis") return await (client as IoRedisLike).set(key, value, "PX", ms, "NX") === "OK";
      if (kind === "node-redis") return await (client as NodeRedisLike).set(key, value, { PX: ms, NX: true }) === "OK";
      return await (client as UpstashRedisLike).set(key, value, { px: ms, nx: true }) === "OK";
    },
  });
}
