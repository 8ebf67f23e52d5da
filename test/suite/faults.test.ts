/**
 * The fault matrix: the stand-in misbehaves on purpose (token endpoint and API), and each case asserts
 * the exact outcome and the exact number of requests the stand-in saw. Waits go through an injected
 * `sleep` that records the delay and returns at once: no real backoff, no timing assertions.
 */
import assert from "node:assert/strict";
import { inspect as nodeInspect } from "node:util";
import {
  type ClientOptions,
  createClient,
  isRapidataError,
  RapidataApiError,
  RapidataAuthError,
  RapidataError,
  type RapidataEvent,
  RapidataTimeoutError,
} from "../../mod.ts";
import { createStandIn, type FaultPlan } from "../../src/testing/mod.ts";
import { eventually, fakeClock } from "../support/control.ts";
import { describe, inspect, it } from "../support/harness.ts";

const standIn = createStandIn();
const secrets: string[] = [];
const tokens: string[] = [];
const thrown: unknown[] = [];
const events: RapidataEvent[] = [];

/** The stand-in as a fetch, noting every access token it issues (for the leak scan). */
const fetchThroughStandIn = async (input: string | URL | Request, init?: RequestInit) => {
  const response = await standIn.fetch(input, init);
  if (String(input).endsWith("/connect/token") && response.ok) {
    const body = await response.clone().json().catch(() => ({})) as { access_token?: unknown };
    if (typeof body.access_token === "string") tokens.push(body.access_token);
  }
  return response;
};

function setup(plan: FaultPlan = {}, options: Partial<ClientOptions> = {}, lifetime?: number) {
  const creds = standIn.addClient({ tokenLifetime: lifetime });
  secrets.push(creds.clientSecret);
  standIn.injectFaults(creds.clientId, plan);
  const delays: number[] = [];
  const seen: RapidataEvent[] = [];
  const rapidata = createClient({
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    fetch: fetchThroughStandIn,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    onEvent: (event) => {
      seen.push(event);
      events.push(event);
    },
    ...options,
  });
  return { rapidata, delays, events: seen, stats: () => standIn.stats(creds.clientId), creds };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(() => assert.fail("expected a failure"), (e: unknown) => e);
  thrown.push(error);
  return error;
}

const json = (body: unknown, status = 200) => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("faults at the token endpoint", () => {
  it("500 once: retried, then a token (2 requests)", async () => {
    const { rapidata, stats, events } = setup({ token: [{ status: 500 }] });
    assert.equal(typeof await rapidata.accessToken(), "string");
    assert.equal(stats().tokenRequests, 2);
    assert.deepEqual(events.filter((e) => e.type === "retry").map((e) => [e.type, e.status]), [["retry", 500]]);
  });

  it("500 forever: ERR_TOKEN_REJECTED after 1 + 3 requests", async () => {
    const { rapidata, stats } = setup({ token: [{ status: 500, times: Infinity }] });
    const error = await failure(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.code, error.status], ["ERR_TOKEN_REJECTED", 500]);
    assert.equal(stats().tokenRequests, 4);
  });

  it("503 with Retry-After: waits what the server asked (2 requests)", async () => {
    const { rapidata, stats, delays } = setup({ token: [{ status: 503, headers: { "retry-after": "7" } }] });
    assert.equal(typeof await rapidata.accessToken(), "string");
    assert.deepEqual(delays, [7000]);
    assert.equal(stats().tokenRequests, 2);
  });

  it("slower than the timeout every time: RapidataTimeoutError after 4 requests", async () => {
    const { rapidata, stats } = setup({ token: [{ kind: "delay", ms: 5_000, times: Infinity }] }, { timeout: 30 });
    const error = await failure(rapidata.accessToken());
    assert.ok(error instanceof RapidataTimeoutError);
    assert.equal(error.code, "ERR_TIMEOUT");
    assert.equal(stats().tokenRequests, 4);
  });

  it("connection reset once: retried (2 requests)", async () => {
    const { rapidata, stats, events } = setup({ token: [{ kind: "reset" }] });
    assert.equal(typeof await rapidata.accessToken(), "string");
    assert.equal(stats().tokenRequests, 2);
    assert.deepEqual(events.map((e) => e.type), ["retry", "token"]);
  });

  const invalid: [string, FaultPlan["token"]][] = [
    ["a non-JSON body", [{ status: 200, headers: { "content-type": "application/json" }, body: "<html>" }]],
    ["no access_token", [json({ token_type: "Bearer", expires_in: 60 })]],
    ["a token_type other than Bearer", [json({ access_token: "abcd-1234", token_type: "N_A", expires_in: 60 })]],
    ["a negative expires_in", [json({ access_token: "abcd-1234", token_type: "Bearer", expires_in: -1 })]],
  ];
  for (const [what, faults] of invalid) {
    it(`${what}: ERR_TOKEN_RESPONSE at once, not retried (1 request)`, async () => {
      const { rapidata, stats } = setup({ token: faults });
      const error = await failure(rapidata.get("/orders"));
      assert.ok(error instanceof RapidataAuthError, String(error));
      assert.equal(error.code, "ERR_TOKEN_RESPONSE");
      assert.equal(stats().tokenRequests, 1);
      assert.equal(stats().apiCalls, 0);
    });
  }

  it("an absurd expires_in: the token is used (and kept at most a day)", async () => {
    const { rapidata, stats } = setup({
      token: [json({ access_token: "abcd-1234-absurd", token_type: "Bearer", expires_in: 1e15 })],
    });
    assert.equal(await rapidata.accessToken(), "abcd-1234-absurd");
    assert.equal(stats().tokenRequests, 1);
  });

  it("invalid_client: surfaced at once, never retried (1 request)", async () => {
    const { rapidata, stats, creds } = setup();
    const wrong = createClient({
      clientId: creds.clientId,
      clientSecret: "wrong-secret-1",
      fetch: fetchThroughStandIn,
    });
    secrets.push("wrong-secret-1");
    const error = await failure(wrong.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.code, error.error, error.status], ["ERR_TOKEN_REJECTED", "invalid_client", 401]);
    assert.equal(stats().tokenRequests, 1);
    void rapidata;
  });

  it("invalid_scope: surfaced at once, never retried (1 request)", async () => {
    const { rapidata, stats } = setup({ token: [json({ error: "invalid_scope", error_description: "no" }, 400)] });
    const error = await failure(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.error, error.status], ["invalid_scope", 400]);
    assert.equal(stats().tokenRequests, 1);
  });
});

describe("faults of the API", () => {
  it("401 forever: exactly one renewal and replay, then the 401 (2 calls, 2 tokens)", async () => {
    const { rapidata, stats, events } = setup({ api: [{ status: 401, times: Infinity }] });
    const response = await rapidata.fetch("/orders");
    assert.equal(response.status, 401);
    assert.deepEqual([stats().apiCalls, stats().tokenRequests], [2, 2]);
    assert.deepEqual(events.filter((e) => e.type === "replay"), [{ type: "replay", status: 401 }]);
  });

  it("429 with Retry-After on a POST: retried after that wait (2 calls)", async () => {
    const { rapidata, stats, delays } = setup({ api: [{ status: 429, headers: { "retry-after": "3" } }] });
    assert.equal((await rapidata.post<{ name: string }>("/dataset", { name: "x" })).name, "x");
    assert.deepEqual(delays, [3000]);
    assert.equal(stats().apiCalls, 2);
  });

  it("Retry-After beyond 60 s is capped at 60 s", async () => {
    const { rapidata, delays } = setup({ api: [{ status: 503, headers: { "retry-after": "3600" } }] });
    await rapidata.get("/orders");
    assert.deepEqual(delays, [60_000]);
  });

  it("502 on a POST is not retried (1 call)", async () => {
    const { rapidata, stats } = setup({ api: [{ status: 502 }] });
    const error = await failure(rapidata.post("/dataset", { name: "x" }));
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.status, 502);
    assert.equal(stats().apiCalls, 1);
  });

  it("502 on a GET is retried (2 calls)", async () => {
    const { rapidata, stats } = setup({ api: [{ status: 502 }] });
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.equal(stats().apiCalls, 2);
  });

  it("502 on a POST with an Idempotency-Key is retried (2 calls)", async () => {
    const { rapidata, stats } = setup({ api: [{ status: 502 }] });
    await rapidata.post("/dataset", { name: "x" }, { headers: { "idempotency-key": "k-1" } });
    assert.equal(stats().apiCalls, 2);
  });

  it("504 forever on a GET: the 504 after 1 + 3 calls, with growing jittered waits", async () => {
    const { rapidata, stats, delays } = setup({ api: [{ status: 504, times: Infinity }] }, {
      retry: { delay: 100 },
    });
    const error = await failure(rapidata.get("/orders"));
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.status, 504);
    assert.equal(stats().apiCalls, 4);
    assert.equal(delays.length, 3);
    delays.forEach((delay, i) => assert.ok(delay >= 0 && delay <= 100 * 2 ** i, `delay ${i}: ${delay}`));
  });

  it("a connection reset: a GET is retried, a POST is not", async () => {
    const get = setup({ api: [{ kind: "reset" }] });
    assert.equal((await get.rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.equal(get.stats().apiCalls, 2);
    const post = setup({ api: [{ kind: "reset" }] });
    const error = await failure(post.rapidata.post("/dataset", { name: "x" }));
    assert.ok(error instanceof RapidataError);
    assert.equal(error.code, "ERR_NETWORK");
    assert.equal(post.stats().apiCalls, 1);
  });

  it("a reset in the middle of the body: ERR_NETWORK from the JSON helper (1 call)", async () => {
    const { rapidata, stats } = setup({ api: [{ kind: "reset-mid-body" }] });
    const error = await failure(rapidata.get("/orders"));
    assert.ok(error instanceof RapidataError, String(error));
    assert.equal(error.code, "ERR_NETWORK");
    assert.equal(stats().apiCalls, 1);
  });

  it("a retry whose wait would pass the caller's deadline is not started (1 call)", async () => {
    const clock = fakeClock();
    const { rapidata, stats, delays } = setup({ api: [{ status: 503, headers: { "retry-after": "10" } }] }, {
      now: clock.now,
    });
    const error = await failure(rapidata.get("/orders", { deadline: clock.now() + 5_000 }));
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.status, 503);
    assert.deepEqual([stats().apiCalls, delays.length], [1, 0]);
  });

  it("retry: false turns retries off (1 call)", async () => {
    const { rapidata, stats } = setup({ api: [{ status: 503 }] }, { retry: false });
    assert.equal((await rapidata.fetch("/orders")).status, 503);
    assert.equal(stats().apiCalls, 1);
  });

  it("a caller's abort during a backoff ends the call at once with an AbortError", async () => {
    const controller = new AbortController();
    const { rapidata, stats } = setup({ api: [{ status: 503, headers: { "retry-after": "30" }, times: Infinity }] }, {
      sleep: undefined,
      onEvent: (event) => event.type === "retry" && controller.abort(),
    });
    const error = await failure(rapidata.get("/orders", { signal: controller.signal }));
    assert.equal((error as Error).name, "AbortError");
    assert.equal(stats().apiCalls, 1);
  });

  it("a stream body is not replayed by a retry (1 call)", async () => {
    const { rapidata, stats } = setup({ api: [{ status: 503 }] });
    const body = new Blob([JSON.stringify({ name: "x" })]).stream();
    const response = await rapidata.fetch("/dataset", { method: "POST", body, duplex: "half" } as RequestInit);
    assert.equal(response.status, 503);
    assert.equal(stats().apiCalls, 1);
  });
});

describe("outage grace", () => {
  it("a failed renewal keeps the valid token in use, retries later, fails only once it expired", async () => {
    const clock = fakeClock();
    const { rapidata, stats, events, creds } = setup({}, { now: clock.now, leeway: 60 }, 3600);
    const first = await rapidata.accessToken();
    standIn.injectFaults(creds.clientId, { token: [{ status: 503, times: Infinity }] });
    clock.advance(3560); // inside the leeway window, 40 s left
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    const graced = () => events.filter((e) => e.type === "grace");
    await eventually(() => graced().length === 1, "the grace event of the background renewal");
    for (let i = 0; i < 10; i++) assert.equal(await rapidata.accessToken(), first);
    assert.equal(stats().tokenRequests, 2); // one renewal attempt (not retried), then a pause
    assert.deepEqual(graced(), [{ type: "grace", expiresIn: 40, code: "ERR_TOKEN_REJECTED", status: 503 }]);
    clock.advance(11); // past the pause (a quarter of the 40 s left)
    assert.equal(await rapidata.accessToken(), first);
    await eventually(() => graced().length === 2, "the second grace event");
    assert.equal(stats().tokenRequests, 3);
    clock.advance(30); // expired: no grace left, full retries, then the error
    const error = await failure(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.equal(error.status, 503);
    assert.equal(stats().tokenRequests, 3 + 4);
  });

  it("reports fetched tokens and renewals", async () => {
    const clock = fakeClock();
    const { rapidata, events } = setup({}, { now: clock.now, leeway: 60 }, 3600);
    await rapidata.accessToken();
    clock.advance(3550);
    await rapidata.accessToken();
    await eventually(() => events.filter((e) => e.type === "token").length === 2, "the renewal");
    assert.deepEqual(events.filter((e) => e.type === "token"), [
      { type: "token", renewal: false, expiresIn: 3600, stored: false },
      { type: "token", renewal: true, expiresIn: 3600, stored: false },
    ]);
  });
});

describe("leak scan over the fault cases", () => {
  it("no error or event contains the client secret or any issued access token", () => {
    const counts = `${thrown.length} errors, ${tokens.length} tokens, ${events.length} events`;
    assert.ok(thrown.length >= 12 && tokens.length >= 15 && events.length >= 15, counts);
    assert.ok(thrown.every((e) => isRapidataError(e) || (e as Error).name === "AbortError"));
    const views: string[] = [];
    for (const error of thrown) {
      const e = error as Error;
      views.push(e.message, e.stack ?? "", JSON.stringify(e), String(e));
      views.push(nodeInspect(e, { depth: 10, showHidden: true }), inspect(e)); // inspect: Deno.inspect on Deno
    }
    for (const event of events) views.push(JSON.stringify(event), nodeInspect(event), inspect(event));
    for (const view of views) {
      for (const secret of [...secrets, ...tokens]) assert.ok(!view.includes(secret), `leak in: ${view.slice(0, 160)}`);
    }
  });
});
