/**
 * Renewal under load: 500 concurrent callers, each issuing API calls back to back, over 3 expiries of
 * 2-second tokens, with a token endpoint that takes 300 ms. Reports p50 / p99 / max API-call latency and
 * token requests per contender, plus a steady-state row (1-hour tokens) to compare p99 against.
 *
 * Used by `npm run bench` (bench/run.ts passes its stand-in's URL); standalone: `npx tsx bench/renewal.ts`
 * (after `npm run -s build`: it measures dist/). The stand-in runs over loopback HTTP in its own process.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client";
import * as openid from "openid-client";
import { createClient } from "../dist/mod.js";
import type { StandInClient, StandInStats } from "../src/testing/mod.ts";

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export const CALLERS = 500;
export const LIFETIME = 2; // seconds
export const EXPIRIES = 3;
export const TOKEN_DELAY = 300; // ms the token endpoint takes

export interface RenewalRow {
  name: string;
  calls: number;
  p50: number;
  p99: number;
  max: number;
  tokenRequests: number;
  failed: number;
  /** Failed calls by HTTP status or error name. */
  why: Record<string, number>;
  /** 401s the client replayed (ours only; the peers do not report them). */
  replays: number | undefined;
}

/** Starts the stand-in in its own process (as bench/run.ts does); returns its URL and a stop function. */
export async function startStandIn(): Promise<{ base: string; stop: () => void }> {
  const child = spawn(process.execPath, ["--import", "tsx", new URL("serve_stand_in.ts", import.meta.url).pathname], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const base: string = await new Promise((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
  return { base, stop: () => child.stdin!.end() };
}

const quantile = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

/** Runs the measurement against the stand-in at `base` (one is started when absent). */
export async function renewalUnderLoad(base?: string): Promise<{ rows: RenewalRow[]; table: string }> {
  const own = base === undefined ? await startStandIn() : undefined;
  const url = base ?? own!.base;
  const control = async <T>(path: string, body?: unknown): Promise<T> =>
    (await fetch(`${url}/__stand-in/${path}`, { method: body ? "POST" : "GET", body: JSON.stringify(body) }))
      .json() as Promise<T>;
  const newClient = async (lifetime: number) => {
    const creds = await control<StandInClient>("clients", { tokenLifetime: lifetime });
    // Every token request takes TOKEN_DELAY ms (times: -1 is "always" over JSON).
    await control(`faults?client_id=${encodeURIComponent(creds.clientId)}`, {
      token: [{ kind: "delay", ms: TOKEN_DELAY, times: -1 }],
    });
    return { clientId: creds.clientId, clientSecret: creds.clientSecret }; // what createClient takes
  };
  const tokenRequests = async (id: string) =>
    (await control<StandInStats>(`stats?client_id=${encodeURIComponent(id)}`)).tokenRequests;

  type Made = { f: Fetch; replays?: () => number; settle?: () => Promise<unknown> };
  const ours = (creds: StandInClient, withWaitUntil: boolean): Made => {
    let replays = 0;
    const pending: Promise<unknown>[] = [];
    const waitUntil = (promise: Promise<unknown>) => void pending.push(promise);
    const rapidata = createClient({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      apiUrl: url,
      authUrl: url,
      onEvent: (event) => {
        if (event.type === "replay") replays++;
      },
    });
    return {
      f: withWaitUntil ? (input, init) => rapidata.fetch(input, { ...init, waitUntil }) : rapidata.fetch,
      replays: () => replays,
      settle: () => Promise.allSettled(pending),
    };
  };
  const contenders: [string, number, (creds: StandInClient) => Made][] = [
    ["steady state: @rapidata/fetch, 1-hour tokens", 3600, (creds) => ours(creds, false)],
    ["@rapidata/fetch", LIFETIME, (creds) => ours(creds, false)],
    ["@rapidata/fetch + waitUntil (collector)", LIFETIME, (creds) => ours(creds, true)],
    ["@badgateway/oauth2-client", LIFETIME, (creds) => {
      // As bench/run.ts configures it.
      const client = new OAuth2Client({
        server: `${url}/`,
        clientId: creds.clientId,
        clientSecret: creds.clientSecret,
        tokenEndpoint: "/connect/token",
        authenticationMethod: "client_secret_basic",
      });
      const wrapper = new OAuth2Fetch({
        client,
        getNewToken: () => client.clientCredentials({ scope: ["openid", "email", "api"] }),
        scheduleRefresh: false,
      });
      return { f: (input, init) => wrapper.fetch(input, init) };
    }],
    ["openid-client + cache", LIFETIME, (creds) => {
      // As bench/run.ts does: clientCredentialsGrant and a straightforward cache.
      const config = new openid.Configuration(
        { issuer: `${url}/`, token_endpoint: `${url}/connect/token` },
        creds.clientId,
        undefined,
        openid.ClientSecretBasic(creds.clientSecret),
      );
      openid.allowInsecureRequests(config);
      let cached: { token: string; until: number } | undefined;
      return {
        f: async (input, init) => {
          if (!cached || Date.now() >= cached.until) {
            const tokens = await openid.clientCredentialsGrant(config, { scope: "openid email api" });
            const lifetime = tokens.expires_in ?? 60;
            cached = { token: tokens.access_token, until: Date.now() + Math.max(lifetime - 30, lifetime / 2) * 1000 };
          }
          return fetch(input, { ...init, headers: { authorization: `Bearer ${cached.token}` } });
        },
      };
    }],
    // Again at the end: on a shared 2-core machine the first row has measured a long tail of its own.
    ["steady state, again (last)", 3600, (creds) => ours(creds, false)],
  ];

  const load = async (f: Fetch, duration: number) => {
    const latencies: number[] = [];
    let failed = 0;
    const why: Record<string, number> = {};
    const started = Date.now();
    await Promise.all(Array.from({ length: CALLERS }, async () => {
      while (Date.now() - started < duration) {
        const t0 = performance.now();
        let reason: string | undefined;
        const response = await f(`${url}/orders`).catch((error: Error) => void (reason = error.name));
        await response?.arrayBuffer().catch(() => undefined);
        latencies.push(performance.now() - t0);
        if (response?.status !== 200) {
          failed++;
          reason ??= String(response?.status);
          why[reason] = (why[reason] ?? 0) + 1;
        }
      }
    }));
    return { latencies, failed, why };
  };
  // Unmeasured warm-up at full concurrency: opens the CALLERS keep-alive connections and warms the JIT
  // on both sides, so the first measured row does not pay for them.
  await load(ours(await newClient(3600), false).f, 2_000);

  const rows: RenewalRow[] = [];
  const DURATION = LIFETIME * EXPIRIES * 1000;
  for (const [name, lifetime, make] of contenders) {
    const creds = await newClient(lifetime);
    const { f, replays, settle } = make(creds);
    // The first token (one request, TOKEN_DELAY ms) is not part of the measured load, so the measured
    // window starts on a fresh token and spans EXPIRIES lifetimes of it and its successors.
    await (await f(`${url}/orders`)).arrayBuffer();
    const { latencies, failed, why } = await load(f, DURATION);
    await settle?.();
    const sorted = Float64Array.from(latencies).sort();
    rows.push({
      name,
      calls: sorted.length,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? NaN,
      tokenRequests: await tokenRequests(creds.clientId),
      failed,
      why,
      replays: replays?.(),
    });
  }
  own?.stop();

  // The lower of the two steady-state p99s: the stricter reference for the renewal rows.
  const steady = Math.min(rows[0]!.p99, rows[rows.length - 1]!.p99);
  const table = [
    "| contender | calls | p50 (ms) | p99 (ms) | max (ms) | p99 / steady p99 (the lower) | token requests | failed calls | 401 replays |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.name} | ${r.calls} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${
        (r.p99 / steady).toFixed(2)
      } | ${r.tokenRequests} | ${r.failed}${
        r.failed ? ` (${Object.entries(r.why).map(([k, n]) => `${k}: ${n}`).join(", ")})` : ""
      } | ${r.replays ?? "–"} |`
    ),
  ].join("\n");
  return { rows, table };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { table } = await renewalUnderLoad();
  console.log(table);
  process.exit(0);
}
