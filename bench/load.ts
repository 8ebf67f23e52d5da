/**
 * `npm run load`: 10,000 API calls at 200 concurrency against the loopback stand-in issuing 2-second
 * tokens, through the client and through raw `fetch` with a static bearer token, interleaved in
 * rounds. Prints failures (must be 0), token requests (about duration / lifetime) and the p50 / p99
 * latency the client adds over raw fetch. Not a test: nothing here asserts a time.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createClient } from "../mod.ts";
import type { StandInClient, StandInStats } from "../src/testing/mod.ts";

const CALLS = Number(process.env.LOAD_CALLS ?? 10_000);
const CONCURRENCY = 200;
const LIFETIME = 2;
const ROUNDS = 10;

const LEEWAY = 1; // covers the whole seconds of `exp`; renewals every LIFETIME - LEEWAY seconds

// The stand-in runs in its own process, so the load generator does not measure its own server.
const child = spawn(process.execPath, ["--import", "tsx", new URL("serve_stand_in.ts", import.meta.url).pathname], {
  stdio: ["pipe", "pipe", "inherit"],
});
const serverUrl: string = await new Promise((resolve) =>
  createInterface({ input: child.stdout! }).once("line", resolve)
);
const control = async <T>(path: string, body?: unknown): Promise<T> =>
  (await fetch(`${serverUrl}/__stand-in/${path}`, { method: body ? "POST" : "GET", body: JSON.stringify(body) }))
    .json() as Promise<T>;
const server = { url: serverUrl, close: () => child.stdin!.end() };
const ours = await control<StandInClient>("clients", { clientId: "load", tokenLifetime: LIFETIME });
const raw = await control<StandInClient>("clients", { clientId: "raw", tokenLifetime: 3600 });
const rapidata = createClient({
  clientId: ours.clientId,
  clientSecret: ours.clientSecret,
  apiUrl: server.url,
  authUrl: server.url,
  leeway: LEEWAY,
});
const staticToken = await createClient({
  clientId: raw.clientId,
  clientSecret: raw.clientSecret,
  apiUrl: server.url,
  authUrl: server.url,
}).accessToken();
const url = `${server.url}/orders`;

async function pool(count: number, call: () => Promise<Response>, latencies: number[]): Promise<number> {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next++ < count) {
      const start = performance.now();
      try {
        const response = await call();
        await response.arrayBuffer();
        if (response.status !== 200) failures++;
      } catch {
        failures++;
      }
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failures;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
};

const oursLatency: number[] = [];
const rawLatency: number[] = [];
let failures = 0;
let rawFailures = 0;
const started = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  const perRound = CALLS / ROUNDS;
  rawFailures += await pool(
    perRound,
    () => fetch(url, { headers: { authorization: `Bearer ${staticToken}` } }),
    rawLatency,
  );
  failures += await pool(perRound, () => rapidata.fetch("/orders"), oursLatency);
}
const stats = await control<StandInStats>(`stats?client_id=${ours.clientId}`);
server.close();

const ms = (n: number) => `${n.toFixed(2)} ms`;
console.log(`load: ${CALLS} calls through the client at ${CONCURRENCY} concurrency, ${LIFETIME}-second tokens`);
console.log(`  failures:              ${failures} (raw fetch: ${rawFailures})`);
const seconds = (performance.now() - started) / 1000;
console.log(
  `  token requests:        ${stats.tokenRequests} in ${seconds.toFixed(1)} s (at most one per ${
    LIFETIME - LEEWAY
  } s of traffic: the token lifetime less the margin)`,
);
console.log(`  401 replays:           ${stats.apiCalls - CALLS}`);
console.log(
  `  p50 client / raw:      ${ms(percentile(oursLatency, 0.5))} / ${ms(percentile(rawLatency, 0.5))}  (added ${
    ms(percentile(oursLatency, 0.5) - percentile(rawLatency, 0.5))
  })`,
);
console.log(
  `  p99 client / raw:      ${ms(percentile(oursLatency, 0.99))} / ${ms(percentile(rawLatency, 0.99))}  (added ${
    ms(percentile(oursLatency, 0.99) - percentile(rawLatency, 0.99))
  })`,
);
console.log(`  wall time:             ${seconds.toFixed(1)} s`);
process.exit(failures === 0 ? 0 : 1);
