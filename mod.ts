/**
 * `@rapidata/fetch`: a small client for the Rapidata API that runs unchanged on Cloudflare Workers,
 * Deno, Node and Bun. OAuth 2 client credentials (scope `openid email api` by default, so tokens carry
 * the audience `https://api.rapidata.ai`), an edge-safe token cache, and an authenticated `fetch`
 * with JSON helpers and typed errors.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 *
 * const rapidata = createClient({ clientId: "my-id", clientSecret: "my-secret" });
 * const orders = await rapidata.get("/orders", { query: { page: 1 } });
 * ```
 *
 * @module
 */

export {
  type ClientOptions,
  createClient,
  type RapidataClient,
  type RapidataRequestInit,
  type RequestOptions,
} from "./src/client.ts";
export type { RapidataEvent } from "./src/events.ts";
export { audienceOf, type TokenAudience } from "./src/token/audience.ts";
export type { AuthChallenge } from "./src/http/challenge.ts";
export type { RetryOptions } from "./src/http/retry.ts";
export type { ClientAuthentication } from "./src/token/grant.ts";
export type { WaitUntil } from "./src/token/source.ts";
export { DEFAULT_SCOPE } from "./src/options.ts";
export { type EnvSource, fromEnv } from "./src/env.ts";
export {
  isRapidataError,
  RapidataApiError,
  RapidataAuthError,
  RapidataError,
  type RapidataErrorCode,
  RapidataTimeoutError,
} from "./src/errors.ts";
export type { Query, QueryValue } from "./src/http/url.ts";
export { customStore, type RapidataTokenStore, type TokenStore } from "./src/stores/seal.ts";
export { memoryStore } from "./src/stores/memory.ts";
export { type KVNamespaceLike, workersKvStore } from "./src/stores/workers_kv.ts";
export { cacheApiStore, type CacheLike } from "./src/stores/cache_api.ts";
export { type DenoKvLike, denoKvStore } from "./src/stores/deno_kv.ts";
export {
  type IoRedisLike,
  type NodeRedisLike,
  type RedisLike,
  redisStore,
  type UpstashRedisLike,
} from "./src/stores/redis.ts";
export {
  type DurableObjectNamespaceLike,
  durableObjectStore,
  RapidataTokenBroker,
} from "./src/stores/durable_object.ts";
export { VERSION } from "./src/version.ts";
