/**
 * Part of `bun test ./test/runtimes/bun.test.ts`: redisStore on Bun with node-redis and ioredis against a
 * real redis-server (started on a free loopback port).
 */
import { test } from "bun:test";
import { sharedThenRevoked } from "../support/redis_scenario.ts";

for (const kind of ["node-redis", "ioredis"] as const) {
  test(
    `redisStore on Bun (${kind}): one token shared through Redis; a revoked one is gone for everyone`,
    () => sharedThenRevoked(kind),
    30_000,
  );
}
