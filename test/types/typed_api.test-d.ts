/**
 * Type tests of `@rapidata/fetch/api`, checked by `tsc -p tsconfig.test.json` (the typecheck step of
 * `npm test`): each `expectTypeOf` must hold, and each `@ts-expect-error` line must be an error, or the
 * build step fails. Nothing here runs: the calls sit in functions that are never called.
 */
import createFetchClient from "openapi-fetch";
import { expectTypeOf } from "vitest";
import { createClient, type RapidataApiError } from "../../mod.ts";
import {
  type ApiPath,
  type ApiProblem,
  type ErrorBody,
  isApiProblem,
  type paths,
  type ProblemDetails,
  type RequestBody,
  type ResponseBody,
  type Schema,
  typed,
  type TypedClient,
  type ValidationProblemDetails,
} from "../../api.ts";

const rapidata = createClient({ clientId: "id", clientSecret: "secret" });
const api = typed(rapidata);
expectTypeOf(api).toEqualTypeOf<TypedClient>();

export async function ordersListWithFiltersAndPaging() {
  const orders = await api.get("/orders", {
    query: {
      page: 2,
      page_size: 50,
      sort: ["-order_date", "order_name"],
      order_name: { contains: "cats", in: ["a", "b"] },
      state: { eq: "Completed" },
      logic: "or",
    },
    signal: AbortSignal.timeout(1_000),
  });
  expectTypeOf(orders).toEqualTypeOf<Schema<"QueryOrdersEndpoint_PagedResultOfOutput">>();
  expectTypeOf(orders.items[0]!.id).toBeString();
  expectTypeOf(await api.get("/orders")).toEqualTypeOf(orders); // every parameter optional: no options needed
  // @ts-expect-error sort takes only the declared fields
  await api.get("/orders", { query: { sort: ["-price"] } });
  // @ts-expect-error a filter is an object of operators, not a string
  await api.get("/orders", { query: { order_name: "cats" } });
  // @ts-expect-error unknown operator
  await api.get("/orders", { query: { order_name: { like: "cats" } } });
  // @ts-expect-error page is a number
  await api.get("/orders", { query: { page: "2" } });
  // @ts-expect-error undeclared query parameter
  await api.get("/orders", { query: { pageSize: 10 } });
  // @ts-expect-error /orders has no path parameters
  await api.get("/orders", { path: { orderId: "x" } });
}

export async function orderById() {
  const order = await api.get("/order/{orderId}", { path: { orderId: "abc" } });
  expectTypeOf(order).toEqualTypeOf<Schema<"GetOrderByIdEndpoint_Output">>();
  expectTypeOf(order.state).toBeString();
  // @ts-expect-error the path parameter is required
  await api.get("/order/{orderId}");
  // @ts-expect-error the path parameter is required
  await api.get("/order/{orderId}", {});
  // @ts-expect-error the path parameter is required
  await api.get("/order/{orderId}", { path: {} });
  // @ts-expect-error a misspelt path parameter
  await api.get("/order/{orderId}", { path: { orderID: "abc" } });
  // @ts-expect-error an undeclared path parameter next to the declared one
  await api.get("/order/{orderId}", { path: { orderId: "abc", extra: "x" } });
  // @ts-expect-error a path that is not in the description
  await api.get("/order/{id}", { path: { id: "abc" } });
  // @ts-expect-error a filled-in path is not a path template
  await api.get("/order/abc");
  // @ts-expect-error /orders has no PUT
  await api.put("/orders", {});
}

export async function orderUpdateAndDelete() {
  const updated = await api.patch("/order/{orderId}", { name: "renamed" }, { path: { orderId: "abc" } });
  expectTypeOf(updated).toEqualTypeOf<undefined>(); // 204
  expectTypeOf(await api.delete("/order/{orderId}", { path: { orderId: "abc" } })).toEqualTypeOf<undefined>();
  // @ts-expect-error name is a string
  await api.patch("/order/{orderId}", { name: 42 }, { path: { orderId: "abc" } });
  // A body-less POST with a path parameter: the body is `undefined`, the options follow it.
  expectTypeOf(await api.post("/order/{orderId}/pause", undefined, { path: { orderId: "abc" } }))
    .toEqualTypeOf<undefined>();
  // @ts-expect-error this operation takes no body
  await api.post("/order/{orderId}/pause", { now: true }, { path: { orderId: "abc" } });
}

export async function datasetCreate() {
  const created = await api.post("/dataset", { name: "cats" });
  expectTypeOf(created).toEqualTypeOf<{ datasetId: string }>();
  expectTypeOf<RequestBody<"post", "/dataset">>().toEqualTypeOf<Schema<"CreateDatasetEndpoint_Input">>();
  // @ts-expect-error the body is required
  await api.post("/dataset");
  // @ts-expect-error name is required
  await api.post("/dataset", {});
  // @ts-expect-error name is a string
  await api.post("/dataset", { name: 1 });
  // @ts-expect-error an undeclared field
  await api.post("/dataset", { name: "cats", colour: "grey" });
}

export async function datapointAdd() {
  // The asset is a union discriminated by `_t`, as the API expects it.
  const added = await api.post(
    "/dataset/{datasetId}/datapoint",
    { asset: { _t: "ExistingAssetInput", name: "cat.jpg" }, sortIndex: 3, privateMetadata: { source: "test" } },
    { path: { datasetId: "ds" } },
  );
  expectTypeOf(added).toEqualTypeOf<Schema<"CreateDatapointEndpoint_Output">>();
  expectTypeOf<RequestBody<"post", "/dataset/{datasetId}/datapoint">["asset"]>().toEqualTypeOf<Schema<"IAssetInput">>();
  const text = { asset: { _t: "TextAssetInput" as const, text: "a cat" } };
  // @ts-expect-error the dataset id is required
  await api.post("/dataset/{datasetId}/datapoint", text);
  // @ts-expect-error the asset is required
  await api.post("/dataset/{datasetId}/datapoint", { sortIndex: 1 }, { path: { datasetId: "ds" } });
  // @ts-expect-error an existing asset is named, not given as text
  await api.post("/dataset/{datasetId}/datapoint", { asset: { _t: "ExistingAssetInput", text: "a cat" } }, {
    path: { datasetId: "ds" },
  });
}

export async function jobDefinition() {
  const created = await api.post("/job/definition", {
    definitionName: "cats or dogs",
    datasetId: "ds",
    workflow: {
      _t: "SimpleWorkflow",
      blueprint: { _t: "ClassifyBlueprint", title: "Cat or dog?", categories: [], possibleCategories: ["cat", "dog"] },
    },
    referee: { _t: "NaiveReferee", totalVotes: 10 },
  });
  expectTypeOf(created).toEqualTypeOf<{ definitionId: string; pipelineId: string }>();
  const definition = await api.get("/job/definition/{definitionId}", { path: { definitionId: created.definitionId } });
  expectTypeOf(definition).toEqualTypeOf<Schema<"GetJobDefinitionByIdEndpoint_Output">>();
  await api.post("/job/definition", {
    definitionName: "x",
    datasetId: "ds",
    workflow: { _t: "SimpleWorkflow", blueprint: { _t: "BoundingBoxBlueprint", target: "cat" } },
    // @ts-expect-error the referee's variant decides its fields: a naive referee counts totalVotes
    referee: { _t: "NaiveReferee", maxVotes: 10 },
  });
}

export async function jobResults() {
  const results = await api.get("/job/{jobId}/results", {
    path: { jobId: "job" },
    query: { page: 1, page_size: 100, states: ["Done"] },
  });
  expectTypeOf(results).toEqualTypeOf<Schema<"IJobResults">>();
  if (results._t === "RapidResults") expectTypeOf(results.items).toBeArray();
  // @ts-expect-error states are RapidState values
  await api.get("/job/{jobId}/results", { path: { jobId: "job" }, query: { states: ["Finished?"] } });
}

export async function validationSet() {
  const { validationSetId } = await api.post("/validation-set", { name: "gold" });
  expectTypeOf(validationSetId).toBeString();
  const set = await api.get("/validation-set/{validationSetId}", { path: { validationSetId } });
  expectTypeOf(set).toEqualTypeOf<Schema<"GetValidationSetByIdEndpoint_Output">>();
  // @ts-expect-error the parameter is validationSetId
  await api.get("/validation-set/{validationSetId}", { path: { id: validationSetId } });
}

export async function assetUploadByUrl() {
  // No body; `url` is a required query parameter, so the options are required.
  const uploaded = await api.post("/asset/url", undefined, { query: { url: "https://example.com/cat.jpg" } });
  expectTypeOf(uploaded).toEqualTypeOf<Schema<"UploadFileFromUrlEndpoint_Output">>();
  expectTypeOf(uploaded.fileName).toBeString();
  await api.post("/asset/url", undefined, {
    query: { url: "https://example.com/cat.jpg", compress: true, quality: 80 },
  });
  // @ts-expect-error url is required
  await api.post("/asset/url", undefined, { query: { compress: true } });
  // @ts-expect-error the options (with url) are required
  await api.post("/asset/url");
}

export async function assetUploadByFile() {
  const form = new FormData();
  form.append("file", new Blob(["..."]), "cat.jpg");
  expectTypeOf(await api.post("/asset/file", form)).toEqualTypeOf<Schema<"UploadFileEndpoint_Output">>();
  // @ts-expect-error multipart operations take FormData
  await api.post("/asset/file", { file: "cat.jpg" });
}

export function pathsAndResults() {
  // Completion lists only operations the JSON helpers can call: a file download is not one of them.
  expectTypeOf<"/orders">().toExtend<ApiPath<"get">>();
  expectTypeOf<"/order/{orderId}">().toExtend<ApiPath<"delete">>();
  expectTypeOf<"/asset/compress">().not.toExtend<ApiPath<"post">>();
  expectTypeOf<"/orders">().not.toExtend<ApiPath<"post">>();
  // Two 2xx answers: the result is either.
  expectTypeOf<ResponseBody<"get", "/identity/bridge-token">>().toEqualTypeOf<
    Schema<"ReadBridgeTokenEndpoint_KeysOutput"> | Schema<"ReadBridgeTokenEndpoint_NotAvailableOutput">
  >();
  expectTypeOf<ErrorBody<"get", "/orders">>().toEqualTypeOf<ValidationProblemDetails>();
  // 400 and 409 declare different problems.
  expectTypeOf<ErrorBody<"get", "/flow/ranking/item/{flowItemId}/results">>().toEqualTypeOf<
    ValidationProblemDetails | ProblemDetails
  >();
}

export function errors(error: unknown) {
  if (isApiProblem(error)) {
    expectTypeOf(error).toExtend<RapidataApiError>();
    expectTypeOf(error.details).toEqualTypeOf<ProblemDetails | ValidationProblemDetails>();
    expectTypeOf(error.status).toBeNumber();
    if ("errors" in error.details) {
      expectTypeOf(error.details.errors).toEqualTypeOf<Record<string, string[]> | undefined>();
    }
  }
  expectTypeOf<ApiProblem<ValidationProblemDetails>["details"]>().toEqualTypeOf<ValidationProblemDetails>();
}

export async function openapiFetchInterop() {
  // Our fetch accepts the Request openapi-fetch hands it.
  const client = createFetchClient<paths>({ baseUrl: rapidata.apiUrl, fetch: rapidata.fetch });
  const { data, error } = await client.GET("/order/{orderId}", { params: { path: { orderId: "abc" } } });
  if (data) expectTypeOf(data).toEqualTypeOf<Schema<"GetOrderByIdEndpoint_Output">>();
  if (error) expectTypeOf(error).toEqualTypeOf<ValidationProblemDetails>();
  // @ts-expect-error openapi-fetch checks the same generated types
  await client.GET("/order/{orderId}", { params: { path: { id: "abc" } } });
}

export async function optionalBodyBeforeOptions() {
  // An optional (nullable) body may be left out even when path parameters follow it.
  await api.post("/order/{orderId}/submit", undefined, { path: { orderId: "o" } });
  await api.post("/job/definition/{definitionId}/clone", undefined, { path: { definitionId: "d" } });
  // @ts-expect-error a required body may not
  await api.post("/dataset/{datasetId}/datapoint", undefined, { path: { datasetId: "d" } });
}
