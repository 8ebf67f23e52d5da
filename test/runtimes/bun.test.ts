/** `bun test ./test/runtimes/bun.test.ts`: the behaviour suite on Bun. */
import "./bun_setup.ts";
import "../suite/all.ts";
import "../bun/redis.test.ts";
