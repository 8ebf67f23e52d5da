/**
 * Revocation, background renewal, outage grace and stall takeover inside workerd (driven through
 * Miniflare) with real KV, Cache API and Durable Object bindings: a token the API rejected is never
 * handed out again by the store to another isolate, a renewal never holds up a request, a renewal that
 * vanished with its request is restarted by a later caller, a failing background renewal backs off
 * (grace), and cold requests behind a slow store write share one token request.
 */
import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createStandIn } from "../../src/testing/mod.ts";
import { serve, type Served } from "../support/node_server.ts";
import { bundleWorker } from "../support/bundle_worker.ts";

const standIn = createStandIn();
let served: Served;
let mf: Miniflare;

type Creds = { clientId: string; clientSecret: string };

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`${what}: not reached within 2 s`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with `promise`, or fails once `ms` have passed (a bound on a wait, not a timing assertion). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(what)), ms));
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

function route(path: string, creds: Creds, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({ id: creds.clientId, secret: creds.clientSecret, ...params });
  return `http://worker.test${path}?${query}`;
}

/** GET `path` in isolate `worker`; asserts a 200 and reads the body. */
async function call(worker: string, path: string, creds: Creds, params: Record<string, string> = {}) {
  const response = await (await mf.getWorker(worker)).fetch(route(path, creds, params));
  const body = await response.text();
  assert.equal(response.status, 200, body);
  return JSON.parse(body) as { seq?: number; page?: number; type?: string };
}

const counts = (creds: Creds) => {
  const { tokenRequests, apiCalls } = standIn.stats(creds.clientId);
  return { tokenRequests, apiCalls };
};

beforeAll(async () => {
  served = await serve(standIn.fetch);
  const script = await bundleWorker(new URL("./fixtures/revocation_worker.ts", import.meta.url));
  // Two isolates that share nothing but the bindings, and one that hosts the broker.
  mf = new Miniflare({
    workers: ["isolate-a", "isolate-b", "broker"].map((name) => ({
      name,
      modules: true,
      script,
      compatibilityDate: "2026-04-01",
      bindings: { STAND_IN_URL: served.url },
      kvNamespaces: { TOKENS: "tokens" },
      durableObjects: { BROKER: { className: "RapidataTokenBroker", scriptName: "broker" } },
    })),
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  await served?.close();
});

describe("revocation in workerd: a token the API rejected is not handed out again", () => {
  for (
    const [store, label] of [
      ["kv", "workersKvStore(env.TOKENS)"],
      ["cache", "cacheApiStore()"],
      ["do", "durableObjectStore(env.BROKER)"],
    ] as const
  ) {
    it(`${label}: isolate A replays once with a new token; isolate B never uses the revoked one`, async () => {
      const creds = standIn.addClient();
      assert.equal((await call("isolate-a", "/orders", creds, { store })).page, 1);
      assert.deepEqual(counts(creds), { tokenRequests: 1, apiCalls: 1 });

      standIn.revokeTokens(creds.clientId);
      assert.equal((await call("isolate-a", "/orders", creds, { store })).page, 1);
      // One 401 with the revoked token, one token request, one replay that succeeded.
      assert.deepEqual(counts(creds), { tokenRequests: 2, apiCalls: 3 });

      // A fresh isolate: no memory of its own, so its token comes from the store (or the broker).
      assert.equal((await call("isolate-b", "/orders", creds, { store })).page, 1);
      assert.deepEqual(counts(creds), { tokenRequests: 2, apiCalls: 4 }); // exactly one call from B, no 401
    });
  }
});

describe("background renewal in workerd", () => {
  it("a request in the renewal window answers at once while the renewal is held (per-call waitUntil)", async () => {
    const creds = standIn.addClient({ tokenLifetime: 4 }); // leeway 60 is capped at half: renewal at 2 s
    assert.equal((await call("isolate-a", "/token", creds, { wait: "ctx" })).seq, 1);
    await sleep(2_200); // into the renewal window (the token is valid for 4 s)
    const release = standIn.holdTokens(creds.clientId);
    let released = false;
    try {
      const answered = call("isolate-a", "/orders", creds, { wait: "ctx" }).then((body) => ({ body, released }));
      const { body, released: late } = await within(answered, 1_500, "the request waited for the held renewal");
      assert.equal(body.page, 1);
      assert.equal(late, false); // answered before release()
      await until(() => standIn.stats(creds.clientId).tokenRequests === 2, "the renewal's token request");
      assert.deepEqual(counts(creds), { tokenRequests: 2, apiCalls: 1 }); // /token made no API call
    } finally {
      released = true;
      release();
    }
    // Kept alive by waitUntil after its request ended, the renewal lands: the next call uses token 2.
    await until(async () => (await call("isolate-a", "/token", creds)).seq === 2, "the renewed token in use");
    assert.deepEqual(counts(creds), { tokenRequests: 2, apiCalls: 1 });
  }, 10_000);

  it(
    "with the workerd entry, workerd's own waitUntil keeps the renewal alive: no per-call waitUntil needed",
    async () => {
      const creds = standIn.addClient({ tokenLifetime: 4 }); // renewal at 2 s
      const params = { entry: "workerd" };
      assert.equal((await call("isolate-a", "/token", creds, params)).seq, 1);
      await sleep(2_200);
      const release = standIn.holdTokens(creds.clientId);
      try {
        // Answers at once with token 1 and ends; the renewal it started is held at the token endpoint.
        const body = await within(call("isolate-a", "/orders", creds, params), 1_500, "waited for the held renewal");
        assert.equal(body.page, 1);
        await until(() => standIn.stats(creds.clientId).tokenRequests === 2, "the renewal's token request");
      } finally {
        release();
      }
      // The renewal outlived its request and landed: token 2 without another token request.
      await until(async () => (await call("isolate-a", "/token", creds, params)).seq === 2, "the renewed token in use");
      assert.deepEqual(counts(creds), { tokenRequests: 2, apiCalls: 1 });
    },
    10_000,
  );

  it("a renewal that vanished with its request (no waitUntil) is restarted by a later caller", async () => {
    // timeout 1000 ms: a flight without progress counts as stalled after ~1.1 s.
    const creds = standIn.addClient({ tokenLifetime: 8 }); // renewal at 4 s
    const params = { timeout: "1000" };
    assert.equal((await call("isolate-a", "/orders", creds, params)).page, 1);
    await sleep(4_200);
    const release = standIn.holdTokens(creds.clientId);
    try {
      // Starts the renewal without waitUntil and ends: the renewal's I/O goes with the request.
      const body = await within(call("isolate-a", "/orders", creds, params), 1_500, "waited for the held renewal");
      assert.equal(body.page, 1);
      await until(() => standIn.stats(creds.clientId).tokenRequests === 2, "the renewal's token request");
      await sleep(1_300); // past the stall bound
    } finally {
      release();
    }
    // Still valid: answered at once, and this caller starts a new renewal (kept alive by its waitUntil).
    assert.equal((await call("isolate-a", "/orders", creds, { ...params, wait: "ctx" })).page, 1);
    await until(() => standIn.stats(creds.clientId).tokenRequests === 3, "the restarted renewal");
    await until(async () => ((await call("isolate-a", "/token", creds, params)).seq ?? 1) > 1, "a new token in use");
    assert.deepEqual(counts(creds), { tokenRequests: 3, apiCalls: 3 });
  }, 15_000);
});

describe("outage grace and stalls in workerd", () => {
  it(
    "a failing background renewal (calls with waitUntil) backs off: 30 calls, one token request, a grace event",
    async () => {
      const creds = standIn.addClient({ tokenLifetime: 8 }); // renewal at 4 s; grace waits a quarter of what is left
      const params = { wait: "ctx" };
      assert.equal((await call("isolate-a", "/orders", creds, params)).page, 1);
      await sleep(4_200);
      standIn.injectFaults(creds.clientId, { token: [{ status: 503, times: Infinity }] });
      assert.equal((await call("isolate-a", "/orders", creds, params)).page, 1); // starts the renewal, which fails
      await until(async () => {
        const events = await (await (await mf.getWorker("isolate-a")).fetch(route("/events", creds, params))).json();
        return (events as { type: string }[]).some((event) => event.type === "grace");
      }, "the grace event");
      const pages = await Promise.all(Array.from({ length: 30 }, () => call("isolate-a", "/orders", creds, params)));
      assert.deepEqual(pages.map((body) => body.page), Array(30).fill(1)); // the valid token, at once
      assert.deepEqual(counts(creds), { tokenRequests: 2, apiCalls: 32 }); // the first token, one failed renewal
    },
    15_000,
  );

  it("5 cold requests behind a store whose writes take 1.5 s: one token request, all answered", async () => {
    const creds = standIn.addClient();
    const params = { store: "slow", timeout: "1000" }; // stall bound ~1.1 s, shorter than the store write
    const pages = await Promise.all(Array.from({ length: 5 }, () => call("isolate-a", "/orders", creds, params)));
    assert.deepEqual(pages.map((body) => body.page), [1, 1, 1, 1, 1]);
    assert.deepEqual(counts(creds), { tokenRequests: 1, apiCalls: 5 });
  }, 15_000);
});
