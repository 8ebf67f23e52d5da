/**
 * `deno test -A --unstable-kv test/deno/`: redisStore on Deno with node-redis and ioredis against a real
 * redis-server (started on a free loopback port).
 */
import { sharedThenRevoked } from "../support/redis_scenario.ts";

for (const kind of ["node-redis", "ioredis"] as const) {
  Deno.test({
    name: `redisStore on Deno (${kind}): one token shared through Redis; a revoked one is gone for everyone`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => sharedThenRevoked(kind),
  });
}
