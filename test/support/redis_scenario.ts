/**
 * One Redis scenario for the Deno and Bun tests (each runner calls it): a token shared through Redis,
 * then revoked and gone for everyone, with node-redis or ioredis against a real redis-server.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient as createNodeRedis } from "redis";
import { createClient, type RedisLike, redisStore } from "../../mod.ts";
import { resolveOptions } from "../../src/options.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { TokenCache } from "../../src/token/cache.ts";
import { clientCredentialsSource } from "../../src/token/client_credentials.ts";
import { startRedis } from "./redis_server.ts";

export async function sharedThenRevoked(kind: "node-redis" | "ioredis"): Promise<void> {
  const server = await startRedis();
  const redis = kind === "ioredis"
    ? new Redis(server.port, "127.0.0.1")
    : await createNodeRedis({ url: server.url }).connect();
  try {
    const standIn = createStandIn();
    const creds = standIn.addClient();
    const store = redisStore(redis as unknown as RedisLike);
    const rapidata = createClient({ ...creds, fetch: standIn.fetch, store });
    const token = await rapidata.accessToken();
    const resolved = resolveOptions({ ...creds, fetch: standIn.fetch, store });
    // Another process's view: its own memory, the same Redis.
    const fresh = () =>
      clientCredentialsSource(
        { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl },
        new TokenCache(),
      );
    assert.equal(await fresh().token(), token);
    standIn.revokeTokens(creds.clientId);
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.notEqual(await fresh().token(), token);
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 2);
  } finally {
    await redis.quit();
    await server.stop();
  }
}
