/**
 * The workflows of `@rapidata/fetch/api` against the stand-in served on loopback: paging (counts,
 * stops, limits, every paging style), waits for jobs and orders (every outcome, abort and timeout),
 * uploads (multipart with the file name, URLs, batch uploads) and streamed result downloads. Waits
 * use short intervals; "promptly" is shown by intervals far longer than the suite's test timeout.
 */
import assert from "node:assert/strict";
import { createClient, isRapidataError, type RapidataApiError, RapidataError } from "../../mod.ts";
import {
  batchUpload,
  checkJob,
  downloadResults,
  paginate,
  RapidataUploadError,
  RapidataWaitError,
  typed,
  uploadFile,
  uploadUrl,
  waitForJob,
  waitForOrder,
} from "../../api.ts";
import { createStandIn, PAGED_SIZES } from "../../src/testing/mod.ts";
import { addWorkflow, injectFaults, progress, standInClient, stats, storedAsset } from "../support/control.ts";
import { describe, inspect, it, runtime } from "../support/harness.ts";

/** A typed client of the stand-in with fresh credentials, noting the URL of every API request. */
async function setup() {
  const urls: URL[] = [];
  const { rapidata, creds } = await standInClient({
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname !== "/connect/token") urls.push(url);
      return fetch(input, init);
    },
  });
  const calls = async () => (await stats(creds.clientId)).apiCalls;
  return { api: typed(rapidata), rapidata, creds, urls, calls };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const isAbort = (error: unknown) => (error as Error)?.name === "AbortError";

describe("paginate", () => {
  it("lists every order, page after page, and stops at totalPages without another request", async () => {
    const { api, urls, calls } = await setup();
    const orders = await collect(paginate(api, "/orders", { pageSize: 10 }));
    assert.deepEqual(orders.map((order) => order.id), Array.from({ length: 25 }, (_, i) => `order-${i + 1}`));
    assert.equal(await calls(), 3);
    assert.deepEqual(urls.map((url) => url.search), [
      "?page=1&page_size=10",
      "?page=2&page_size=10",
      "?page=3&page_size=10",
    ]);

    // An exact multiple of the page size: still no request past the last page.
    const { api: api2, calls: calls2 } = await setup();
    assert.equal((await collect(paginate(api2, "/orders", { pageSize: 5 }))).length, 25);
    assert.equal(await calls2(), 5);
  });

  it("passes filters and sort, and without pageSize sends none (the API's default)", async () => {
    const { api, urls, calls } = await setup();
    const completed = await collect(
      paginate(api, "/orders", { query: { state: { eq: "Completed" }, sort: ["-order_date"] }, pageSize: 4 }),
    );
    assert.equal(completed.length, 9);
    assert.ok(completed.every((order) => order.state === "Completed"));
    assert.equal(completed[0]!.id, "order-25");
    assert.equal(await calls(), 3);
    assert.equal(urls[0]!.searchParams.get("state[eq]"), "Completed");

    const { api: api2, urls: urls2 } = await setup();
    assert.equal((await collect(paginate(api2, "/orders"))).length, 25);
    assert.equal(urls2[0]!.searchParams.has("page_size"), false);
  });

  it("limit: at most that many items, and no request past the page that reaches it", async () => {
    const { api, calls } = await setup();
    const some = await collect(paginate(api, "/orders", { pageSize: 10, limit: 12 }));
    assert.deepEqual(some.map((order) => order.id), Array.from({ length: 12 }, (_, i) => `order-${i + 1}`));
    assert.equal(await calls(), 2);

    const { api: api2, calls: calls2 } = await setup();
    assert.equal((await collect(paginate(api2, "/orders", { pageSize: 10, limit: 10 }))).length, 10);
    assert.equal(await calls2(), 1);

    const { api: api3, calls: calls3 } = await setup();
    assert.deepEqual(await collect(paginate(api3, "/orders", { limit: 0 })), []);
    assert.equal(await calls3(), 0);
  });

  it(".pages() gives whole pages as answered, the last one cut to the limit", async () => {
    const { api } = await setup();
    const pages = await collect(paginate(api, "/orders", { pageSize: 10 }).pages());
    assert.deepEqual(pages.map((page) => [page.page, page.items.length, page.total, page.totalPages]), [
      [1, 10, 25, 3],
      [2, 10, 25, 3],
      [3, 5, 25, 3],
    ]);
    const cut = await collect(paginate(api, "/orders", { pageSize: 10, limit: 15 }).pages());
    assert.deepEqual(cut.map((page) => page.items.length), [10, 5]);
    assert.equal(cut[1]!.items[4]!.id, "order-15");
  });

  it("breaking out of the loop makes no further request; each iteration starts over", async () => {
    const { api, calls } = await setup();
    const orders = paginate(api, "/orders", { pageSize: 10 });
    const first: string[] = [];
    for await (const order of orders) {
      first.push(order.id);
      if (first.length === 3) break;
    }
    assert.equal(await calls(), 1);
    assert.equal((await collect(orders)).length, 25);
    assert.equal(await calls(), 4);
  });

  it("the camelCase pageSize variant, the variant without totalPages, cursors and `models`", async () => {
    const customers = await setup();
    const costs = await collect(paginate(customers.api, "/billing/costs/customers", { pageSize: 10 }));
    assert.equal(costs.length, PAGED_SIZES.customers);
    assert.equal(costs[22]!.customerId, "customer-23");
    assert.equal(customers.urls[0]!.searchParams.get("pageSize"), "10");
    assert.equal(await customers.calls(), 3);

    // No totalPages: total and pageSize tell where the end is (17 items, 5 a page: 4 requests).
    const matchups = await setup();
    const found = await collect(
      paginate(matchups.api, "/benchmark/{benchmarkId}/matchups/query", { path: { benchmarkId: "b 1" }, pageSize: 5 }),
    );
    assert.equal(found.length, PAGED_SIZES.matchups);
    assert.equal(matchups.urls[0]!.pathname, "/benchmark/b%201/matchups/query");
    assert.equal(await matchups.calls(), 4);

    const bidders = await setup();
    const members = await collect(paginate(bidders.api, "/authorization/relations/bidder", { pageSize: 5 }));
    assert.deepEqual(members.map((m) => m.customer), Array.from({ length: 12 }, (_, i) => `customer-${i + 1}`));
    assert.deepEqual(bidders.urls.map((url) => url.searchParams.get("cursor")), [null, "c5", "c10"]);
    assert.equal(await bidders.calls(), 3);

    const replicate = await setup();
    const models = await collect(
      paginate(replicate.api, "/leaderboard/faucet/replicate/models", { query: { search: "flux" } }),
    );
    assert.equal(models.length, PAGED_SIZES.models);
    assert.equal(models[0]!.modelName, "flux-1");
    assert.equal(await replicate.calls(), 3);
  });

  it("stops at an empty page where the answer does not tell, and refuses a cursor that does not move", async () => {
    const answers = [
      { items: [{ customerId: "a" }], total: undefined, page: 1 },
      { items: [], page: 2 },
    ];
    const { rapidata } = await standInClient({
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.pathname === "/connect/token") return await fetch(input, init);
        if (url.pathname === "/billing/costs/customers") return Response.json(answers.shift() ?? { items: [{}] });
        return Response.json({ items: [{ customer: "x" }], nextCursor: "same" });
      },
    });
    const api = typed(rapidata);
    assert.equal((await collect(paginate(api, "/billing/costs/customers"))).length, 1);
    assert.equal(answers.length, 0);
    await assert.rejects(
      collect(paginate(api, "/authorization/relations/bidder")),
      (error: RapidataError) => error.code === "ERR_PAGINATION" && /cursor/.test(error.message),
    );
  });

  it("errors of the calls are the client's, and a signal ends the listing", async () => {
    const { api, creds, calls } = await setup();
    await assert.rejects(collect(paginate(api, "/jobs")), (error: RapidataApiError) => error.status === 404);

    const aborted = new AbortController();
    aborted.abort();
    const before = await calls();
    await assert.rejects(collect(paginate(api, "/orders", { signal: aborted.signal })), isAbort);
    assert.equal(await calls(), before);

    const controller = new AbortController();
    let n = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of paginate(api, "/orders", { pageSize: 5, signal: controller.signal })) {
          if (++n === 7) controller.abort();
        }
      })(),
      isAbort,
    );
    assert.equal(n, 7);

    // A 429 is waited out by the client.
    await injectFaults(creds.clientId, { api: [{ status: 429, headers: { "retry-after": "0" } }] });
    assert.equal((await collect(paginate(api, "/orders", { pageSize: 25 }))).length, 25);
  });

  it("a server that never ends is an ERR_PAGINATION, not an endless loop: cursors that come back, a page ignored", async () => {
    const cursors = ["a", "b", "a", "c"];
    let pages = 0;
    const { rapidata } = await standInClient({
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.pathname === "/connect/token") return await fetch(input, init);
        pages++;
        // Always page 1 of an unknown number: the page asked for is ignored.
        if (url.pathname === "/orders") return Response.json({ items: [{ id: "x" }], page: 1, pageSize: 1 });
        return Response.json({ items: [{ customer: "x" }], nextCursor: cursors.shift() ?? null });
      },
    });
    const api = typed(rapidata);
    await assert.rejects(
      collect(paginate(api, "/authorization/relations/bidder")),
      (error: RapidataError) => error.code === "ERR_PAGINATION" && /"a"/.test(error.message),
    );
    assert.equal(pages, 3);
    pages = 0;
    await assert.rejects(
      collect(paginate(api, "/orders")),
      (error: RapidataError) => error.code === "ERR_PAGINATION" && /page 2/.test(error.message),
    );
    assert.equal(pages, 2);
  });

  it("misuse is a TypeError naming the mistake", async () => {
    const { api } = await setup();
    const fails = (call: () => unknown, pattern: RegExp) =>
      assert.throws(call, (e: Error) => e instanceof TypeError && pattern.test(e.message));
    // @ts-expect-error not a paged path
    fails(() => paginate(api, "/order/{orderId}", { path: { orderId: "x" } }), /not a paged GET/);
    // @ts-expect-error not a path of the API
    fails(() => paginate(api, "/order"), /Did you mean "\/orders"\?/);
    fails(() => paginate(api, "/orders", { pageSize: 0 }), /"pageSize" must be an integer ≥ 1/);
    fails(() => paginate(api, "/orders", { limit: 1.5 }), /"limit"/);
    // @ts-expect-error the page is paginate's
    fails(() => paginate(api, "/orders", { query: { page: 2 } }), /"query.page" is set by paginate/);
    // @ts-expect-error misspelt
    fails(() => paginate(api, "/orders", { page_size: 5 }), /Did you mean "pageSize"\?/);
    fails(
      // @ts-expect-error this path has no page size
      () => paginate(api, "/leaderboard/faucet/replicate/models", { query: { search: "x" }, pageSize: 5 }),
      /not a parameter/,
    );
    // @ts-expect-error a client, not a typed one
    fails(() => paginate(api.client, "/orders"), /typed client/);
    // @ts-expect-error a query is an object
    fails(() => paginate(api, "/orders", { query: "state=Completed" }), /"query" must be an object/);
    assert.equal((await collect(paginate(api, "/orders", { limit: Infinity }))).length, 25);
    assert.equal((await collect(paginate(api, "/orders", null as never))).length, 25);
  });
});

describe("waitForJob / waitForOrder", () => {
  it("polls a job Queued → Running → Completed and resolves with it, reporting each state", async () => {
    const { api } = await setup();
    const jobId = await addWorkflow("job", { states: ["Queued", "Running", "Running", "Completed"] });
    const seen: string[] = [];
    const job = await waitForJob(api, jobId, { interval: 5, onProgress: (state) => seen.push(state) });
    assert.equal(job.jobId, jobId);
    assert.equal(job.state, "Completed");
    assert.equal(typeof job.completedAt, "string");
    assert.deepEqual(seen, ["Queued", "Running", "Running", "Completed"]);
    assert.equal((await progress(jobId)).polls, 4);

    const orderId = await addWorkflow("order");
    const order = await waitForOrder(api, orderId, { interval: 5 });
    assert.equal(order.state, "Completed");
    assert.equal((await progress(orderId)).polls, 3);
  });

  it("Failed and Cancelled reject with ERR_WAIT_FAILED, carrying the state and the failure message", async () => {
    const { api, rapidata, creds } = await setup();
    const jobId = await addWorkflow("job", {
      states: ["Running", "Failed"],
      failureMessage: "the audience was deleted",
    });
    const error = await waitForJob(api, jobId, { interval: 5 }).catch((e) => e);
    assert.ok(error instanceof RapidataWaitError && error instanceof RapidataError && isRapidataError(error));
    assert.equal(error.code, "ERR_WAIT_FAILED");
    assert.equal(error.state, "Failed");
    assert.equal(error.failureMessage, "the audience was deleted");
    assert.equal(error.id, jobId);
    assert.match(error.message, /Failed: the audience was deleted/);
    assert.equal((await progress(jobId)).polls, 2);
    const text = JSON.stringify(error) + inspect(error);
    assert.ok(!text.includes(await rapidata.accessToken()) && !text.includes(creds.clientSecret));

    const orderId = await addWorkflow("order", { states: ["Processing", "Cancelled"] });
    await assert.rejects(
      waitForOrder(api, orderId, { interval: 5 }),
      (e: RapidataWaitError) => e.code === "ERR_WAIT_FAILED" && e.state === "Cancelled" && e.kind === "order",
    );
  });

  it("states that need a person reject with ERR_WAIT_BLOCKED: ManualApproval, SpendLimited, ManualReview", async () => {
    const { api } = await setup();
    const review = await addWorkflow("job", { states: ["Queued", "ManualApproval"], reviewReason: "ContentFlagged" });
    await assert.rejects(
      waitForJob(api, review, { interval: 5 }),
      (e: RapidataWaitError) =>
        e.code === "ERR_WAIT_BLOCKED" && e.state === "ManualApproval" && e.reviewReason === "ContentFlagged" &&
        /ContentFlagged/.test(e.message),
    );
    const spend = await addWorkflow("job", { states: ["Running", "SpendLimited"] });
    await assert.rejects(waitForJob(api, spend, { interval: 5 }), (e: RapidataWaitError) => e.state === "SpendLimited");
    const order = await addWorkflow("order", { states: ["ManualReview"] });
    await assert.rejects(
      waitForOrder(api, order, { interval: 5 }),
      (e: RapidataWaitError) => e.code === "ERR_WAIT_BLOCKED" && e.state === "ManualReview",
    );
    assert.equal((await progress(order)).polls, 1);
  });

  it("StaleResults: regeneration is triggered once (POST …/retry), then the wait goes on", async () => {
    const { api } = await setup();
    const jobId = await addWorkflow("job", { states: ["StaleResults"], afterRetry: ["Running", "Completed"] });
    assert.equal((await waitForJob(api, jobId, { interval: 5 })).state, "Completed");
    assert.deepEqual([(await progress(jobId)).retries, (await progress(jobId)).polls], [1, 2]);

    // Still stale after the regeneration: waited on, not retried again.
    const stubborn = await addWorkflow("job", {
      states: ["StaleResults"],
      afterRetry: ["StaleResults", "StaleResults", "Completed"],
    });
    assert.equal((await waitForJob(api, stubborn, { interval: 5 })).state, "Completed");
    assert.equal((await progress(stubborn)).retries, 1);

    const orderId = await addWorkflow("order", { states: ["StaleResults"] });
    assert.equal((await waitForOrder(api, orderId, { interval: 5 })).state, "Completed");
    assert.equal((await progress(orderId)).retries, 1);
  });

  it("timeout rejects with ERR_WAIT_TIMEOUT at once, even in the middle of a long wait", async () => {
    const { api } = await setup();
    const jobId = await addWorkflow("job", { states: ["Queued", "Running"] });
    // The first wait is a minute: only the timeout can end this within the test's time.
    await assert.rejects(
      waitForJob(api, jobId, { interval: 60_000, timeout: 50 }),
      (e: RapidataWaitError) => e.code === "ERR_WAIT_TIMEOUT" && e.state === "Queued" && /50 ms/.test(e.message),
    );
    assert.equal((await progress(jobId)).polls, 1);
  });

  it("a signal ends the wait at once: before it starts, during a pause and during a request", async () => {
    const { api, creds } = await setup();
    const jobId = await addWorkflow("job", { states: ["Running"] });
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(waitForJob(api, jobId, { signal: aborted.signal }), isAbort);
    assert.equal((await progress(jobId)).polls, 0);

    const controller = new AbortController();
    await assert.rejects(
      waitForJob(api, jobId, { interval: 60_000, signal: controller.signal, onProgress: () => controller.abort() }),
      isAbort,
    );
    assert.equal((await progress(jobId)).polls, 1);

    // A poll that hangs (a minute's delay at the stand-in) is cancelled too.
    await injectFaults(creds.clientId, { api: [{ kind: "delay", ms: 60_000 }] });
    const hung = new AbortController();
    const waiting = waitForJob(api, jobId, { signal: hung.signal });
    setTimeout(() => hung.abort(), 20);
    await assert.rejects(waiting, isAbort);
  });

  it("errors of the calls are the client's; onProgress's own error ends the wait", async () => {
    const { api, creds } = await setup();
    await assert.rejects(waitForJob(api, "no-such-job", { interval: 5 }), (e: RapidataApiError) => e.status === 404);

    const jobId = await addWorkflow("job");
    await injectFaults(creds.clientId, { api: [{ status: 429, headers: { "retry-after": "0" } }] });
    assert.equal((await waitForJob(api, jobId, { interval: 5 })).state, "Completed");

    const other = await addWorkflow("job", { states: ["Running"] });
    const mine = new Error("stop here");
    await assert.rejects(
      waitForJob(api, other, {
        interval: 5,
        onProgress: () => {
          throw mine;
        },
      }),
      (e) => e === mine,
    );
  });

  it("misuse rejects with a TypeError naming the option", async () => {
    const { api } = await setup();
    const jobId = await addWorkflow("job");
    await assert.rejects(waitForJob(api, ""), /the id must be a non-empty string/);
    await assert.rejects(waitForJob(api, jobId, { interval: 0 }), /"interval" must be a number ≥ 1/);
    await assert.rejects(waitForJob(api, jobId, { timeout: -1 }), /"timeout"/);
    // @ts-expect-error misspelt
    await assert.rejects(waitForJob(api, jobId, { intervall: 5 }), /Did you mean "interval"\?/);
    // @ts-expect-error a client, not a typed one
    await assert.rejects(waitForOrder({}, jobId), TypeError);
    assert.equal((await progress(jobId)).polls, 0);
  });

  it("timers longer than a platform timer (2^31 - 1 ms) are capped, not fired at once", async () => {
    const { api } = await setup();
    const month = 30 * 24 * 3600_000;
    const jobId = await addWorkflow("job", { states: ["Queued", "Completed"] });
    assert.equal((await waitForJob(api, jobId, { interval: 5, timeout: month })).state, "Completed");
    const running = await addWorkflow("job", { states: ["Running"] });
    await assert.rejects(
      waitForJob(api, running, { interval: month, timeout: 200 }),
      (e: RapidataWaitError) => e.code === "ERR_WAIT_TIMEOUT",
    );
    assert.equal((await progress(running)).polls, 1);
  });

  it("onProgress hears the last poll too (Failed, blocked); options may be null; regenerate must be a boolean", async () => {
    const { api } = await setup();
    const jobId = await addWorkflow("job", { states: ["Running", "Failed"] });
    const seen: string[] = [];
    await assert.rejects(waitForJob(api, jobId, { interval: 5, onProgress: (state) => seen.push(state) }));
    assert.deepEqual(seen, ["Running", "Failed"]);
    const done = await addWorkflow("job", { states: ["Completed"] });
    assert.equal((await waitForJob(api, done, null as never)).state, "Completed");
    // @ts-expect-error a boolean
    await assert.rejects(checkJob(api, done, { regenerate: "no" }), /"regenerate" must be a boolean/);
  });

  it("checkJob: one poll for waits longer than a request (a Durable Object alarm, a cron trigger)", async () => {
    const { api } = await setup();
    const jobId = await addWorkflow("job", { states: ["Running", "Completed"] });
    assert.deepEqual(
      [(await checkJob(api, jobId)).done, (await checkJob(api, jobId)).done],
      [false, true],
    );
    const stale = await addWorkflow("job", { states: ["StaleResults"], afterRetry: ["StaleResults", "Completed"] });
    const first = await checkJob(api, stale);
    assert.deepEqual([first.done, first.state, first.regenerated], [false, "StaleResults", true]);
    const second = await checkJob(api, stale, { regenerate: false });
    assert.deepEqual([second.done, second.regenerated], [false, false]);
    assert.equal((await progress(stale)).retries, 1);
    assert.equal((await checkJob(api, stale, { regenerate: false })).done, true);
  });
});

describe("uploads", () => {
  it("uploadFile sends multipart/form-data with the file name kept and the query options passed", async () => {
    const { api, urls } = await setup();
    const bytes = new TextEncoder().encode("\u00ff\u00d8 not really a jpeg");
    const answer = await uploadFile(api, bytes, {
      name: "cat photo.jpg",
      type: "image/jpeg",
      query: { compress: true, quality: 80 },
    });
    assert.match(answer.fileName, /\.jpg$/);
    assert.equal(answer.wasCompressed, true);
    const stored = await storedAsset(answer.fileName);
    assert.deepEqual(
      [stored.originalName, stored.type, stored.size, stored.head],
      ["cat photo.jpg", "image/jpeg", bytes.byteLength, "\u00ff\u00d8 not really a jpeg"],
    );
    assert.deepEqual(stored.query, { compress: "true", quality: "80" });
    assert.equal(urls[0]!.pathname, "/asset/file");

    const file = new File(["meow"], "kitten.png", { type: "image/png" });
    const fromFile = await storedAsset((await uploadFile(api, file)).fileName);
    assert.deepEqual([fromFile.originalName, fromFile.type, fromFile.head], ["kitten.png", "image/png", "meow"]);
    const named = await storedAsset((await uploadFile(api, new Blob(["x"]), { name: "x.txt" })).fileName);
    assert.equal(named.originalName, "x.txt");
  });

  it("uploadFile is resent whole after a 503, and misuse is a TypeError", async () => {
    const { api, creds } = await setup();
    await injectFaults(creds.clientId, { api: [{ status: 503, headers: { "retry-after": "0" } }] });
    const answer = await uploadFile(api, new TextEncoder().encode("second time"), { name: "a.bin" });
    assert.equal((await storedAsset(answer.fileName)).head, "second time");
    assert.equal((await stats(creds.clientId)).apiCalls, 2);

    await assert.rejects(uploadFile(api, new Blob(["x"])), /"name" is required/);
    // @ts-expect-error a name is a string
    await assert.rejects(uploadFile(api, new Blob(["x"]), { name: 5 }), /"name" must be a string/);
    const typedBlob = await uploadFile(api, new Blob(["x"]), { name: "x.png", type: "image/png" });
    assert.equal((await storedAsset(typedBlob.fileName)).type, "image/png");
    // @ts-expect-error a string is not a file
    await assert.rejects(uploadFile(api, "a.jpg", { name: "a.jpg" }), /must be a Blob, a File or bytes/);
    // @ts-expect-error misspelt
    await assert.rejects(uploadFile(api, new Blob(["x"]), { name: "x", qurey: {} }), /Did you mean "query"\?/);
  });

  it("uploadUrl has the API fetch a URL; its refusal is a RapidataApiError, a bad URL a TypeError", async () => {
    const { api, urls } = await setup();
    const source = "https://example.com/a cat.png?size=2";
    const { fileName } = await uploadUrl(api, source, { query: { maxdim: 512 } });
    assert.equal((await storedAsset(fileName)).originalName, source);
    assert.equal(urls[0]!.searchParams.get("url"), source);
    assert.equal(urls[0]!.searchParams.get("maxdim"), "512");
    await assert.rejects(uploadUrl(api, "https://example.com/fail.png"), (e: RapidataApiError) => e.status === 400);
    await assert.rejects(uploadUrl(api, "cat.png"), /not an absolute http\(s\) URL/);
  });

  it("batchUpload: chunks, every URL's outcome in order, failures within the tolerance", async () => {
    const { api, urls: sent } = await setup();
    const urls = Array.from({ length: 5 }, (_, i) => `https://example.com/${i}.jpg`);
    urls[3] = "https://example.com/fail-3.jpg";
    const statuses: number[] = [];
    const result = await batchUpload(api, urls, {
      chunkSize: 2,
      interval: 5,
      failureTolerance: 0.2,
      onProgress: (status) => statuses.push(status.completedCount + status.failedCount),
    });
    assert.equal(result.batchUploadIds.length, 3);
    assert.deepEqual(result.items.map((item) => item.url), urls);
    assert.deepEqual(result.items.map((item) => item.ok), [true, true, true, false, true]);
    assert.ok(result.items.filter((item) => item.ok).every((item) => /\.jpg$/.test(item.fileName!)));
    assert.deepEqual(result.failed.map((item) => [item.url, item.status]), [[urls[3], "Failed"]]);
    assert.match(result.failed[0]!.error!, /404/);
    assert.equal(statuses.at(-1), 5);
    assert.equal(sent.filter((url) => url.pathname === "/asset/batch-upload").length, 3);
  });

  it("batchUpload: beyond the tolerance it rejects with every outcome; refused chunks and aborted batches fail their URLs", async () => {
    const { api } = await setup();
    const urls = ["https://example.com/1.jpg", "https://example.com/fail.jpg"];
    const error = await batchUpload(api, urls, { interval: 5 }).catch((e) => e);
    assert.ok(error instanceof RapidataUploadError);
    assert.equal(error.code, "ERR_UPLOAD_FAILED");
    assert.deepEqual(error.result.items.map((item) => item.ok), [true, false]);

    const mixed = [
      "https://example.com/a.jpg",
      "https://example.com/invalid.jpg", // this chunk is refused
      "https://example.com/abort.jpg", // this batch is aborted
      "https://example.com/b.jpg",
    ];
    const result = await batchUpload(api, mixed, { chunkSize: 2, interval: 5, failureTolerance: 1 });
    assert.deepEqual(result.items.map((item) => item.status), ["NotCreated", "NotCreated", "Pending", "Completed"]);
    assert.match(result.items[0]!.error!, /invalid\.jpg is not a valid URL/);
    assert.match(result.items[2]!.error!, /aborted/);
    assert.equal(result.batchUploadIds.length, 1);
  });

  it("batchUpload: concurrency limits the batches in flight; timeout and signal end it at once", async () => {
    let inFlight = 0;
    let most = 0;
    const { rapidata } = await standInClient({
      fetch: async (input, init) => {
        const creating = init?.method === "POST" &&
          String(input instanceof Request ? input.url : input).endsWith("/asset/batch-upload");
        if (creating) most = Math.max(most, ++inFlight);
        try {
          return await fetch(input, init);
        } finally {
          if (creating) inFlight--;
        }
      },
    });
    const api = typed(rapidata);
    const urls = Array.from({ length: 12 }, (_, i) => `https://example.com/${i}.jpg`);
    const result = await batchUpload(api, urls, { chunkSize: 2, concurrency: 2, interval: 5 });
    assert.equal(result.batchUploadIds.length, 6);
    assert.ok(most <= 2, `at most 2 batch uploads created at once, saw ${most}`);

    await assert.rejects(
      batchUpload(api, urls, { interval: 60_000, timeout: 50 }),
      (e: RapidataWaitError) => e.code === "ERR_WAIT_TIMEOUT" && e.kind === "batch upload",
    );
    const controller = new AbortController();
    await assert.rejects(
      batchUpload(api, urls, { interval: 60_000, signal: controller.signal, onProgress: () => controller.abort() }),
      isAbort,
    );
    await assert.rejects(batchUpload(api, ["nope"]), /URL 0: "nope" is not an absolute/);
    await assert.rejects(batchUpload(api, urls, { failureTolerance: 2 }), /from 0 to 1/);
  });
});

describe("batchUpload against an odd API", () => {
  /** A typed client whose answers `rewrite` may replace (by path), counting requests after `stop()`. */
  async function odd(rewrite: (url: URL, response: Response) => Promise<Response> | Response) {
    let stopped = false;
    let late = 0;
    const { rapidata } = await standInClient({
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.pathname === "/connect/token") return await fetch(input, init);
        if (stopped) late++;
        return await rewrite(url, await fetch(input, init));
      },
    });
    return { api: typed(rapidata), stop: () => void (stopped = true), late: () => late };
  }
  const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://example.com/${i}.jpg`);

  it("after the first failure no further request starts", async () => {
    let results = 0;
    const { api, stop, late } = await odd((url, response) =>
      /^\/asset\/batch-upload\/batch-/.test(url.pathname) && ++results === 1
        ? Response.json({ title: "gone" }, { status: 404 })
        : response
    );
    await assert.rejects(batchUpload(api, urls(20), { chunkSize: 1, concurrency: 2, interval: 5 }), /HTTP 404/);
    stop();
    await new Promise((resolve) => setTimeout(resolve, 100)); // room for stragglers to show
    assert.equal(late(), 0);
  });

  it("trusts each batch's own status, not a group's: a batch still Processing is waited for", async () => {
    let ids: string[] = [];
    const { api } = await odd((url, response) => {
      if (url.pathname === "/asset/batch-upload/status") {
        ids = url.searchParams.getAll("batchUploadIds");
        // Claims the group is over while naming only one of its batches as finished.
        return Response.json({
          status: "Aborted",
          totalCount: 2,
          completedCount: 0,
          failedCount: 0,
          completedBatches: [ids[0]],
        });
      }
      return response;
    });
    const result = await batchUpload(api, urls(2), { chunkSize: 1, interval: 5 });
    assert.deepEqual(result.items.map((item) => item.ok), [true, true]);
    assert.equal(ids.length, 2);
  });

  it("unreadable answers fail their URLs with a reason; URLs the API rewrites are matched by position", async () => {
    let created = 0;
    const { api } = await odd(async (url, response) => {
      if (url.pathname === "/asset/batch-upload" && ++created === 2) return Response.json({});
      if (/^\/asset\/batch-upload\/batch-/.test(url.pathname)) {
        const result = await response.json() as { items: { url: string }[] };
        for (const item of result.items) item.url = item.url.replace("https://", "HTTPS://"); // normalised
        return Response.json(result);
      }
      return response;
    });
    const result = await batchUpload(api, urls(4), { chunkSize: 2, concurrency: 1, interval: 5, failureTolerance: 1 });
    assert.deepEqual(result.items.map((item) => item.ok), [true, true, false, false]);
    assert.match(result.items[2]!.error!, /without a batchUploadId/);
  });

  it("the stand-in: an aborted batch leaves its URLs Pending; an id with a bad escape is a 404", async () => {
    const { api } = await setup();
    const { batchUploadId } = await api.post("/asset/batch-upload", { urls: urls(2) });
    await api.post("/asset/batch-upload/{batchUploadId}/abort", undefined, { path: { batchUploadId } });
    const after = await api.get("/asset/batch-upload/{batchUploadId}", { path: { batchUploadId } });
    assert.equal(after.status, "Aborted");
    assert.deepEqual(after.items.map((item) => item.status), ["Pending", "Pending"]);
    await assert.rejects(api.client.get("/order/%E0%A4%A"), (e: RapidataApiError) => e.status === 404);
  });
});

describe("downloadResults", () => {
  it("gives the results file of a job or an order as a Response", async () => {
    const { api } = await setup();
    const jobId = await addWorkflow("job", { states: ["Completed"], results: '{"results":["a","b"]}' });
    await waitForJob(api, jobId);
    const response = await downloadResults(api, "job", jobId);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(await response.json(), { results: ["a", "b"] });

    const orderId = await addWorkflow("order", { states: ["Completed"] });
    await waitForOrder(api, orderId);
    assert.match(await (await downloadResults(api, "order", orderId)).text(), new RegExp(orderId));
  });

  it("streams: a results file far larger than memory arrives as it is read, never buffered", async () => {
    const { api } = await setup();
    const size = 4 * 1024 ** 3; // 4 GiB: buffering it would fail, or take far longer than the test may
    const jobId = await addWorkflow("job", { states: ["Completed"], resultsBytes: size });
    await waitForJob(api, jobId);
    const response = await downloadResults(api, "job", jobId);
    const reader = response.body!.getReader();
    let read = 0;
    while (read < 1024 * 1024) read += (await reader.read()).value!.byteLength;
    await reader.cancel();
    const sent = (await progress(jobId)).bytesSent;
    assert.ok(sent < size / 16, `only what was read (and buffered on the way) was made: ${sent} B`);
  });

  it("an abort ends the download's body, also from the stand-in in process", async () => {
    // Vercel's Edge runtime has no AbortSignal.any: there the signal ends the request up to its headers only.
    if (runtime === "edge") return;
    const standIn = createStandIn();
    const api = typed(createClient({ ...standIn.addClient(), fetch: standIn.fetch }));
    const jobId = standIn.addJob({ states: ["Completed"], resultsBytes: 1024 ** 3 });
    const controller = new AbortController();
    const response = await downloadResults(api, "job", jobId, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    }, isAbort);
    assert.ok(standIn.progress(jobId)!.bytesSent < 1024 ** 3 / 16);
  });

  it("a refusal is a RapidataApiError; misuse a TypeError", async () => {
    const { api } = await setup();
    const running = await addWorkflow("job", { states: ["Running"] });
    await assert.rejects(
      downloadResults(api, "job", running),
      (e: RapidataApiError) =>
        e.code === "ERR_API_RESPONSE" && e.status === 400 && /not Completed/.test(JSON.stringify(e.details)),
    );
    await assert.rejects(downloadResults(api, "job", "no-such-job"), (e: RapidataApiError) => e.status === 404);
    // @ts-expect-error jobs is not a kind
    await assert.rejects(downloadResults(api, "jobs", running), /"job" or "order"/);
  });
});
