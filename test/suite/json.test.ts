import assert from "node:assert/strict";
import { RapidataApiError, type RapidataError } from "../../mod.ts";
import { type Echo, eventually, injectFaults, standInClient } from "../support/control.ts";
import { describe, it, otherOriginUrl } from "../support/harness.ts";

describe("JSON helpers", () => {
  it("get parses JSON and serialises query objects, arrays as repeated keys", async () => {
    const { rapidata } = await standInClient();
    const orders = await rapidata.get<{ page: number; pageSize: number; items: { id: string }[] }>("/orders", {
      query: { page: 2, page_size: 5 },
    });
    assert.deepEqual([orders.page, orders.pageSize, orders.items[0]!.id], [2, 5, "order-6"]);
    const echo = await rapidata.get<Echo>("/__stand-in/echo?keep=1", {
      query: { id: ["a", "b c", 3], flag: true, skip: undefined, none: null, "order_name[contains]": "x&y" },
    });
    const url = new URL(echo.url);
    assert.equal(url.search, "?keep=1&id=a&id=b+c&id=3&flag=true&order_name%5Bcontains%5D=x%26y");
    assert.deepEqual(url.searchParams.getAll("id"), ["a", "b c", "3"]);
    assert.equal(echo.headers.accept, "application/json");
  });

  it("post, put and patch send JSON with a content type; delete has no body", async () => {
    const { rapidata } = await standInClient();
    for (const method of ["post", "put", "patch"] as const) {
      const echo = await rapidata[method]<Echo>("/__stand-in/echo", { name: "x", n: [1, 2] });
      assert.equal(echo.method, method.toUpperCase());
      assert.deepEqual(JSON.parse(echo.body), { name: "x", n: [1, 2] });
      assert.equal(echo.headers["content-type"], "application/json");
    }
    const removed = await rapidata.delete<Echo>("/__stand-in/echo");
    assert.deepEqual([removed.method, removed.body], ["DELETE", ""]);
    const created = await rapidata.post<{ name: string }>("/dataset", { name: "real route" });
    assert.equal(created.name, "real route");
  });

  it("sends FormData and URLSearchParams bodies as they are", async () => {
    const { rapidata } = await standInClient();
    const echo = await rapidata.post<Echo>("/__stand-in/echo", new URLSearchParams({ a: "1" }));
    assert.equal(echo.body, "a=1");
    assert.match(echo.headers["content-type"]!, /^application\/x-www-form-urlencoded/);
  });

  it("returns undefined for 204", async () => {
    const { rapidata } = await standInClient();
    assert.equal(await rapidata.delete("/__stand-in/echo", { query: { status: 204 } }), undefined);
  });

  it("throws RapidataApiError with ProblemDetails detail, status, details and the x-trace-id", async () => {
    const { rapidata } = await standInClient();
    const error = await rapidata.get("/order/nope").catch((e: unknown) => e);
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.name, "RapidataApiError");
    assert.equal(error.code, "ERR_API_RESPONSE");
    assert.equal(error.status, 404);
    assert.match(error.message, /Order nope does not exist/);
    assert.match(error.message, /GET \/order\/nope/);
    assert.equal(error.traceId, error.response.headers.get("x-trace-id"));
    assert.equal(error.traceId, (error.details as { traceId: string }).traceId);
    assert.equal(Object.keys(error).includes("response"), false);
  });

  it("exposes validation errors in details", async () => {
    const { rapidata } = await standInClient();
    const error = await rapidata.post("/dataset", {}).catch((e: unknown) => e);
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.status, 400);
    assert.equal(
      error.message,
      "Rapidata API POST /dataset failed with HTTP 400: One or more validation errors occurred.",
    );
    assert.deepEqual((error.details as { errors: unknown }).errors, { Name: ["The Name field is required."] });
  });

  it("uses message / error fields and the body's traceId when there is no header", async () => {
    const { rapidata } = await standInClient();
    const error = await rapidata.post("/__stand-in/echo", undefined, { query: { status: 409 } }).catch((e) => e);
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.status, 409);
    assert.equal(error.traceId, undefined);
    assert.match(error.message, /HTTP 409/);
  });

  it("reads message and error fields of non-ProblemDetails bodies", async () => {
    const bodies = [{ message: "from message" }, { error: "from error" }];
    for (const body of bodies) {
      const { rapidata } = await standInClient({
        fetch: (input, init) =>
          String(input).includes("/connect/token")
            ? fetch(input, init)
            : Promise.resolve(Response.json({ ...body, traceId: "t-1" }, { status: 500 })),
      });
      const error = await rapidata.get("/orders").catch((e: unknown) => e);
      assert.ok(error instanceof RapidataApiError);
      assert.match(error.message, new RegExp(Object.values(body)[0]!));
      assert.equal(error.traceId, "t-1");
    }
  });

  it("a 2xx body that is not JSON is an ERR_API_BODY RapidataApiError", async () => {
    const { rapidata } = await standInClient({
      fetch: (input, init) =>
        String(input).includes("/connect/token")
          ? fetch(input, init)
          : Promise.resolve(new Response("<html>", { status: 200 })),
    });
    await assert.rejects(rapidata.get("/orders"), { name: "RapidataApiError", code: "ERR_API_BODY", status: 200 });
  });

  it("rejects a query that is not an object of scalars with a TypeError", async () => {
    const { rapidata } = await standInClient();
    await assert.rejects(rapidata.get("/orders", { query: { bad: { nested: 1 } as never } }), TypeError);
    await assert.rejects(rapidata.get("orders"), TypeError);
  });
});

/** A body that never ends: 16 KiB chunks on demand; `state` says how many were pulled and whether it was cancelled. */
function endlessBody() {
  const state = { pulled: 0, cancelled: false };
  const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled++;
      controller.enqueue(chunk);
      return new Promise((resolve) => setTimeout(resolve, 1)); // a slow, endless sender
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

/** A client whose API answers with `answer()`; tokens come from the stand-in. */
async function answering(answer: () => Response, options: { timeout?: number } = {}) {
  return (await standInClient({
    retry: false,
    ...options,
    fetch: (input, init) => String(input).endsWith("/connect/token") ? fetch(input, init) : Promise.resolve(answer()),
  })).rapidata;
}

describe("JSON helpers: bodies are bounded and released", () => {
  it("a body still streaming at the timeout is cancelled with the RapidataTimeoutError", async () => {
    const { body, state } = endlessBody();
    const rapidata = await answering(() => new Response(body, { headers: { "content-type": "application/json" } }), {
      timeout: 300,
    });
    const error = await rapidata.get("/orders").catch((e: Error) => e);
    assert.equal((error as Error).name, "RapidataTimeoutError");
    await eventually(() => state.cancelled, "the body's stream cancelled");
    const pulled = state.pulled;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(state.pulled, pulled, "nothing more read after the error");
  });

  it("a caller's abort during the body read cancels the stream", async () => {
    const { body, state } = endlessBody();
    const rapidata = await answering(() => new Response(body));
    const controller = new AbortController();
    const call = rapidata.get("/orders", { signal: controller.signal }).catch((e: Error) => e);
    await eventually(() => state.pulled > 2, "the body is being read");
    controller.abort();
    assert.equal(((await call) as Error).name, "AbortError");
    await eventually(() => state.cancelled, "the body's stream cancelled");
  });

  it("an error body is kept up to 64 KiB, marked truncated, and read no further", async () => {
    const { body, state } = endlessBody();
    const rapidata = await answering(() =>
      new Response(body, { status: 500, headers: { "content-type": "application/problem+json" } })
    );
    const error = await rapidata.get("/orders").catch((e: unknown) => e);
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.truncated, true);
    assert.equal(typeof error.details, "string");
    assert.equal((error.details as string).length, 64 * 1024);
    assert.ok(JSON.stringify(error).length < 70 * 1024);
    assert.ok(state.cancelled, "the rest of the body was not read");
    assert.ok(state.pulled <= 8, `${state.pulled} chunks of 16 KiB read`);
  });

  it("an error body within the bound is parsed and not marked truncated", async () => {
    const rapidata = await answering(() => Response.json({ title: "Not Found", detail: "no order" }, { status: 404 }));
    const error = await rapidata.get("/order/x").catch((e: unknown) => e);
    assert.ok(error instanceof RapidataApiError);
    assert.deepEqual([error.truncated, (error.details as { detail: string }).detail], [false, "no order"]);
  });
});

describe("JSON helpers with the platform's fetch: the body read under the timeout and the caller's signal", () => {
  it("a body still streaming at the timeout ends the call with the RapidataTimeoutError", async () => {
    const { rapidata, creds } = await standInClient({ timeout: 300, retry: false });
    await injectFaults(creds.clientId, { api: [{ kind: "endless-body" }] });
    const error = await rapidata.get("/orders").catch((e: Error) => e);
    assert.equal((error as Error).name, "RapidataTimeoutError");
    assert.deepEqual((await rapidata.get<{ page: number }>("/orders")).page, 1); // and the client goes on
  });

  it("a caller's abort during the body read ends the call, with and without a timeout", async () => {
    for (const timeout of [30_000, false] as const) {
      const { rapidata, creds } = await standInClient({ timeout });
      await injectFaults(creds.clientId, { api: [{ kind: "endless-body" }] });
      const controller = new AbortController();
      const call = rapidata.get("/orders", { signal: controller.signal }).catch((e: Error) => e);
      setTimeout(() => controller.abort(), 50);
      assert.equal(((await call) as Error).name, "AbortError", `timeout ${timeout}`);
    }
  });
});

describe("JSON helpers: a full URL to another host", () => {
  it("a body still streaming at the timeout ends the call, and its connection is closed", async () => {
    const { rapidata } = await standInClient({ timeout: 300, retry: false });
    const id = crypto.randomUUID();
    const error = await rapidata.get(`${otherOriginUrl}/__stand-in/endless?id=${id}`).catch((e: Error) => e);
    assert.equal((error as Error).name, "RapidataTimeoutError");
    await eventually(
      async () => !(await (await fetch(`${otherOriginUrl}/__stand-in/endless?id=${id}&open`)).json()).open,
      "the endless body no longer streams",
    );
  });
});

describe("timeout: false", () => {
  /** A client whose fetch notes the signal each API request got. */
  async function noting(options: { timeout?: number | false } = {}) {
    const signals: (AbortSignal | null | undefined)[] = [];
    const { rapidata, creds } = await standInClient({
      ...options,
      fetch: (input, init) => {
        if (!String(input).endsWith("/connect/token")) signals.push(init?.signal);
        return fetch(input, init);
      },
    });
    return { rapidata, creds, signals };
  }

  it("hands fetch no signal of its own: none, or exactly the caller's", async () => {
    const { rapidata, signals } = await noting({ timeout: false });
    await (await rapidata.fetch("/orders")).arrayBuffer();
    await rapidata.get("/orders");
    const controller = new AbortController();
    await rapidata.get("/orders", { signal: controller.signal });
    assert.deepEqual(signals.slice(0, 2), [undefined, undefined]);
    assert.equal(signals[2], controller.signal);

    const timed = await noting();
    await timed.rapidata.get("/orders");
    assert.ok(timed.signals[0] instanceof AbortSignal, "by default each attempt has its timeout signal");
  });

  it("a fetch that throws at once is ERR_NETWORK, as with a timeout", async () => {
    for (const timeout of [300, false] as const) {
      const { rapidata } = await standInClient({
        timeout,
        retry: false,
        fetch: (input, init) => {
          if (String(input).endsWith("/connect/token")) return fetch(input, init);
          throw new TypeError("boom");
        },
      });
      const error = await rapidata.get("/orders").catch((e: RapidataError) => e);
      assert.equal((error as RapidataError).code, "ERR_NETWORK", `timeout ${timeout}`);
    }
  });

  it("waits for a slow answer that the default timeout would end, and still retries and replays", async () => {
    const slow = await noting({ timeout: false });
    await injectFaults(slow.creds.clientId, { api: [{ kind: "delay", ms: 400 }] });
    assert.equal((await slow.rapidata.get<{ page: number }>("/orders")).page, 1);

    const bounded = await noting({ timeout: 100 });
    await injectFaults(bounded.creds.clientId, { api: [{ kind: "delay", ms: 400, times: 10 }] });
    const error = await bounded.rapidata.get("/orders", { deadline: Date.now() }).catch((e: Error) => e);
    assert.equal((error as Error).name, "RapidataTimeoutError");

    const retried = await noting({ timeout: false });
    await injectFaults(retried.creds.clientId, { api: [{ status: 503, headers: { "retry-after": "0" } }] });
    assert.equal((await retried.rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.equal(retried.signals.length, 2);
  });
});
