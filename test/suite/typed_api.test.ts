/**
 * `@rapidata/fetch/api` at run time: path substitution, query serialisation (deepObject filters),
 * bodies, answers and typed errors against the stand-in, and openapi-fetch on the generated `paths`
 * through `rapidata.fetch`. The types themselves are checked in test/types/typed_api.test-d.ts.
 */
import assert from "node:assert/strict";
import createFetchClient from "openapi-fetch";
import { createClient, RapidataApiError, VERSION } from "../../mod.ts";
import { isApiProblem, type paths, typed } from "../../api.ts";
import { type Echo, standInClient, stats } from "../support/control.ts";
import { describe, it, standInUrl } from "../support/harness.ts";

/**
 * A client of the stand-in whose API calls all land on the stand-in's echo route (which answers
 * `status`): the echo shows the method, headers and body the client sent, and `x-requested-url` the
 * URL it asked for. Token requests go to the stand-in as usual.
 */
async function echoing(status = 200) {
  const sent: string[] = [];
  const { rapidata } = await standInClient({
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (new URL(request.url).pathname === "/connect/token") return await fetch(request);
      sent.push(request.url);
      const headers = new Headers(request.headers);
      headers.set("x-requested-url", request.url);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      return await fetch(`${standInUrl}/__stand-in/echo?status=${status}`, { method: request.method, headers, body });
    },
  });
  return { api: typed(rapidata), rapidata, sent };
}

/** The typed result of an echoed call, as what it is. */
const echoed = (result: unknown) => result as Echo;

describe("typed API: requests", () => {
  it("substitutes path parameters URL-encoded and sends the JSON body with the bearer token", async () => {
    const { api, rapidata } = await echoing();
    const order = echoed(await api.get("/order/{orderId}", { path: { orderId: "a b/c?d#e%f" } }));
    assert.equal(order.method, "GET");
    assert.equal(order.headers["x-requested-url"], `${standInUrl}/order/a%20b%2Fc%3Fd%23e%25f`);
    assert.equal(order.headers.authorization, `Bearer ${await rapidata.accessToken()}`);
    assert.equal(order.headers["x-client"], `RapidataFetch/${VERSION}`);

    const body = { asset: { _t: "ExistingAssetInput" as const, name: "cat.jpg" }, sortIndex: 3 };
    const datapoint = echoed(await api.post("/dataset/{datasetId}/datapoint", body, { path: { datasetId: "ds 1" } }));
    assert.equal(datapoint.method, "POST");
    assert.equal(datapoint.headers["x-requested-url"], `${standInUrl}/dataset/ds%201/datapoint`);
    assert.equal(datapoint.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(datapoint.body), body);

    const results = echoed(
      await api.get("/job/{jobId}/results", { path: { jobId: "job-1" }, query: { states: ["Done", "Paused"] } }),
    );
    assert.equal(results.headers["x-requested-url"], `${standInUrl}/job/job-1/results?states=Done&states=Paused`);
  });

  it("serialises deepObject filters as name[field]=value, arrays as repeated keys, and skips null / undefined", async () => {
    const { api } = await echoing();
    const orders = echoed(
      await api.get("/orders", {
        query: {
          page: 2,
          page_size: 50,
          sort: ["-order_date", "order_name"],
          order_name: { contains: "cats & dogs", in: ["a", "b"], eq: undefined },
          state: { neq: "Failed" },
          customer_mail: {},
          logic: undefined,
        },
      }),
    );
    const url = orders.headers["x-requested-url"]!;
    assert.equal(
      url,
      `${standInUrl}/orders?page=2&page_size=50&sort=-order_date&sort=order_name` +
        "&order_name[contains]=cats%20%26%20dogs&order_name[in]=a&order_name[in]=b&state[neq]=Failed",
    );
    const search = new URL(url).searchParams;
    assert.equal(search.get("order_name[contains]"), "cats & dogs");
    assert.deepEqual(search.getAll("order_name[in]"), ["a", "b"]);
  });

  it("sends scalars of a required query with no body, and FormData to a multipart operation", async () => {
    const { api } = await echoing();
    const source = "https://example.com/a cat.jpg?size=1";
    const byUrl = echoed(
      await api.post("/asset/url", undefined, { query: { url: source, compress: false, quality: 80 } }),
    );
    assert.equal(byUrl.method, "POST");
    assert.equal(
      byUrl.headers["x-requested-url"],
      `${standInUrl}/asset/url?url=${encodeURIComponent(source)}&compress=false&quality=80`,
    );
    assert.equal(byUrl.body, "");

    const form = new FormData();
    form.append("file", new Blob(["meow"], { type: "image/jpeg" }), "cat.jpg");
    const byFile = echoed(await api.post("/asset/file", form, { query: { compress: true } }));
    assert.match(byFile.headers["content-type"]!, /^multipart\/form-data; boundary=/);
    assert.match(byFile.body, /filename="cat\.jpg"[\s\S]*meow/);
  });

  it("passes the core's options through and gives undefined for a 204", async () => {
    const { api: echo, sent } = await echoing();
    const controller = new AbortController();
    const patched = echoed(
      await echo.patch("/order/{orderId}", { name: "renamed" }, {
        path: { orderId: "o-1" },
        headers: { "x-test": "1" },
        signal: controller.signal,
      }),
    );
    assert.equal(patched.headers["x-test"], "1");
    assert.equal(patched.method, "PATCH");
    controller.abort();
    const calls = sent.length;
    await assert.rejects(
      echo.patch("/order/{orderId}", { name: "x" }, { path: { orderId: "o-1" }, signal: controller.signal }),
      (error: Error) => error.name === "AbortError",
    );
    assert.equal(sent.length, calls); // nothing sent once aborted
    const { api } = await echoing(204);
    assert.equal(await api.delete("/order/{orderId}", { path: { orderId: "o-1" } }), undefined);
    // An optional body may be left out even when path parameters follow it.
    const submitted = await api.post("/order/{orderId}/submit", undefined, { path: { orderId: "o-1" } });
    assert.equal(submitted, undefined);
  });

  it("rejects a missing or unusable path parameter and a nested query value with a TypeError, sending nothing", async () => {
    const { api, sent } = await echoing();
    const missing = api.get("/order/{orderId}", { path: {} } as never);
    await assert.rejects(missing, (error: Error) => error instanceof TypeError && /"orderId"/.test(error.message));
    await assert.rejects(api.get("/order/{orderId}", undefined as never), /missing path parameter "orderId"/);
    for (const orderId of ["", ".", ".."]) {
      await assert.rejects(api.get("/order/{orderId}", { path: { orderId } }), TypeError);
    }
    const nested = { order_name: { contains: { deeper: "x" } } } as never;
    await assert.rejects(api.get("/orders", { query: nested }), /"query\.order_name\.contains"/);
    await assert.rejects((api.get as (path: string) => Promise<unknown>)("orders"), TypeError);
    assert.deepEqual(sent, []);
    assert.throws(() => typed({} as never), TypeError);
  });
});

describe("typed API: answers and errors", () => {
  it("returns the stand-in's JSON answers", async () => {
    const api = typed((await standInClient()).rapidata);
    const orders = await api.get("/orders", { query: { page: 2 } });
    assert.equal(orders.items[0]?.id, "order-11");
    const order = await api.get("/order/{orderId}", { path: { orderId: "order-3" } });
    assert.equal(order.orderName, "Order 3");
    const { datasetId } = await api.post("/dataset", { name: "cats" });
    assert.match(datasetId, /^dataset-/);
  });

  it("filters and sorts GET /orders on the stand-in with deepObject filters and repeated sort keys", async () => {
    const api = typed((await standInClient()).rapidata);
    const completed = await api.get("/orders", { query: { state: { eq: "Completed" }, page_size: 100 } });
    assert.equal(completed.total, 9);
    assert.ok(completed.items.every((order) => order.state === "Completed"));
    const named = await api.get("/orders", {
      query: { order_name: { in: ["Order 2", "Order 12"], contains: "2" }, sort: ["-order_name"] },
    });
    assert.deepEqual(named.items.map((order) => order.orderName), ["Order 2", "Order 12"]);
    const none = await api.get("/orders", { query: { order_name: { starts_with: "Nope" } } });
    assert.deepEqual([none.total, none.items.length], [0, 0]);
  });

  it("narrows errors to the declared ProblemDetails / ValidationProblemDetails with isApiProblem", async () => {
    const api = typed((await standInClient()).rapidata);
    const notFound = await api.get("/order/{orderId}", { path: { orderId: "no such/order" } }).catch((e) => e);
    assert.ok(notFound instanceof RapidataApiError);
    assert.ok(isApiProblem(notFound));
    assert.equal(notFound.details.status, 404);
    assert.match(notFound.details.detail ?? "", /no%20such%2Forder/);

    const invalid = await api.post("/dataset", { name: "" }).catch((e) => e);
    assert.ok(isApiProblem(invalid));
    assert.equal(invalid.status, 400);
    assert.ok("errors" in invalid.details);
    assert.deepEqual(invalid.details.errors, { Name: ["The Name field is required."] });

    // A 401 has no body: not a problem, still a RapidataApiError.
    const unauthorized = typed(createClient({ token: "not-a-token", apiUrl: standInUrl, authUrl: standInUrl }));
    const denied = await unauthorized.get("/orders").catch((e) => e);
    assert.ok(denied instanceof RapidataApiError);
    assert.equal(denied.status, 401);
    assert.equal(isApiProblem(denied), false);
    assert.equal(isApiProblem(new Error("boom")), false);
    assert.equal(isApiProblem({ name: "RapidataApiError", code: "ERR_API_RESPONSE", details: {} }), false);
  });
});

describe("openapi-fetch on the generated paths", () => {
  it("GET /orders through rapidata.fetch carries the bearer token and gets the stand-in's answer", async () => {
    const { rapidata, creds } = await standInClient();
    const client = createFetchClient<paths>({ baseUrl: rapidata.apiUrl, fetch: rapidata.fetch });
    const { data, error, response } = await client.GET("/orders", { params: { query: { page: 2 } } });
    assert.equal(response.status, 200);
    assert.equal(error, undefined);
    assert.equal(data?.items.length, 10);
    assert.equal(data?.items[0]?.id, "order-11");
    // The stand-in answers API calls only for a valid bearer token with the API audience.
    const seen = await stats(creds.clientId);
    assert.equal(seen.tokenRequests, 1);
    assert.equal(seen.apiCalls, 1);
    assert.equal(seen.lastXClient, `RapidataFetch/${VERSION}`);
  });

  it("sends the same URL as typed() for path and deepObject query parameters, with the bearer token", async () => {
    const { api, rapidata } = await echoing();
    const client = createFetchClient<paths>({ baseUrl: rapidata.apiUrl, fetch: rapidata.fetch });
    const params = { path: { jobId: "job 1" }, query: { page: 3, page_size: 25 } };
    const { data } = await client.GET("/job/{jobId}/results", { params });
    const viaOpenapiFetch = echoed(data);
    assert.equal(viaOpenapiFetch.headers.authorization, `Bearer ${await rapidata.accessToken()}`);
    const viaTyped = echoed(await api.get("/job/{jobId}/results", params));
    assert.equal(viaOpenapiFetch.headers["x-requested-url"], viaTyped.headers["x-requested-url"]);
    assert.equal(viaTyped.headers["x-requested-url"], `${standInUrl}/job/job%201/results?page=3&page_size=25`);

    const filter = { order_name: { contains: "cats" }, state: { eq: "Completed" } };
    const viaFetchFilter = echoed((await client.GET("/orders", { params: { query: filter } })).data);
    const viaTypedFilter = echoed(await api.get("/orders", { query: filter }));
    assert.equal(viaFetchFilter.headers["x-requested-url"], viaTypedFilter.headers["x-requested-url"]);
    assert.equal(
      viaTypedFilter.headers["x-requested-url"],
      `${standInUrl}/orders?order_name[contains]=cats&state[eq]=Completed`,
    );
  });
});
