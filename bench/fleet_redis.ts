/**
 * The Redis part of the fleet simulation (run by bench/fleet.ts, one real Node process per member of the
 * fleet, each its own copy of the library): calls the API every FLEET_TICK_MS for FLEET_DURATION_MS
 * through redisStore(ioredis), starting at FLEET_START_AT. Prints one JSON line: { calls, failures }.
 */
import process from "node:process";
import { Redis } from "ioredis";
import { createClient, type RedisLike, redisStore } from "../mod.ts";

const env = (name: string) => process.env[name]!;
const redis = new Redis(Number(env("FLEET_REDIS_PORT")), "127.0.0.1");
const rapidata = createClient({
  clientId: env("RAPIDATA_CLIENT_ID"),
  clientSecret: env("RAPIDATA_CLIENT_SECRET"),
  apiUrl: env("RAPIDATA_API_URL"),
  authUrl: env("RAPIDATA_API_URL"),
  leeway: 1,
  store: redisStore(redis as unknown as RedisLike),
});
const tick = Number(env("FLEET_TICK_MS"));
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
await wait(Math.max(0, Number(env("FLEET_START_AT")) - Date.now()) + Math.random() * tick);
const started = Date.now();
let calls = 0;
let failures = 0;
while (Date.now() - started < Number(env("FLEET_DURATION_MS"))) {
  const response = await rapidata.fetch("/orders");
  await response.arrayBuffer();
  calls++;
  if (response.status !== 200) failures++;
  await wait(tick);
}
await redis.quit();
console.log(JSON.stringify({ calls, failures }));
