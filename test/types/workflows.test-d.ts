/**
 * Type tests of the workflows of `@rapidata/fetch/api`, checked by `tsc -p tsconfig.test.json`: items
 * typed per path, paths that are not paged rejected, path parameters required, results typed. Nothing
 * here runs.
 */
import { expectTypeOf } from "vitest";
import { createClient } from "../../mod.ts";
import {
  batchUpload,
  type BatchUploadResult,
  checkJob,
  downloadResults,
  type Job,
  type JobState,
  type Order,
  type Page,
  type PagedPath,
  type PageItem,
  paginate,
  type Schema,
  typed,
  uploadFile,
  uploadUrl,
  waitForJob,
  waitForOrder,
} from "../../api.ts";
import type { PAGED } from "../../src/generated/paging.ts";

const api = typed(createClient({ clientId: "id", clientSecret: "secret" }));

// The paged paths of the types are exactly the run-time table's (both from the description).
expectTypeOf<PagedPath>().toEqualTypeOf<keyof typeof PAGED>();

export async function itemsTypedPerPath() {
  for await (const order of paginate(api, "/orders", { query: { state: { eq: "Completed" } }, pageSize: 50 })) {
    expectTypeOf(order).toEqualTypeOf<Schema<"QueryOrdersEndpoint_Output">>();
  }
  for await (const model of paginate(api, "/leaderboard/faucet/replicate/models", { query: { search: "flux" } })) {
    expectTypeOf(model).toEqualTypeOf<Schema<"SearchReplicateModelsEndpoint_Model">>();
  }
  for await (const member of paginate(api, "/authorization/relations/bidder")) {
    expectTypeOf(member).toEqualTypeOf<Schema<"GetBidderRelationMembersEndpoint_Output">>();
  }
  for await (const page of paginate(api, "/billing/costs/customers", { pageSize: 10 }).pages()) {
    expectTypeOf(page).toEqualTypeOf<Schema<"QueryCostsByCustomerEndpoint_PagedResultOfOutput">>();
    expectTypeOf(page.items[0]!.customerId).toBeString();
  }
  expectTypeOf<Page<"/orders">>().toEqualTypeOf<Schema<"QueryOrdersEndpoint_PagedResultOfOutput">>();
  expectTypeOf<PageItem<"/benchmark/{benchmarkId}/matchups/query">>().toEqualTypeOf<
    Schema<"QueryMatchupsByBenchmarkEndpoint_OutputMatchup">
  >();
  paginate(api, "/benchmark/{benchmarkId}/matchups/query", { path: { benchmarkId: "b" }, limit: 100 });
  // A union answer (each variant a page): its items are the union of the variants' items.
  expectTypeOf<PageItem<"/job/{jobId}/results">>().toEqualTypeOf<
    Schema<"GroupedRankingGroup"> | Schema<"RankingDatapoint"> | Schema<"JobRapidResult">
  >();
}

export function pathsThatAreNotPagedDoNotCompile() {
  // @ts-expect-error a single order is not paged
  paginate(api, "/order/{orderId}", { path: { orderId: "x" } });
  // @ts-expect-error not a path of the API
  paginate(api, "/orderz");
  // @ts-expect-error the path parameter is required
  paginate(api, "/benchmark/{benchmarkId}/matchups/query");
  // @ts-expect-error the page is paginate's to set
  paginate(api, "/orders", { query: { page: 2 } });
  // @ts-expect-error a filter that /orders does not have
  paginate(api, "/orders", { query: { name: { eq: "x" } } });
  // @ts-expect-error search is a required query parameter of this path
  paginate(api, "/leaderboard/faucet/replicate/models");
  // @ts-expect-error …also when other options are given
  paginate(api, "/leaderboard/faucet/replicate/models", { limit: 5 });
  // @ts-expect-error models pages have no page size
  paginate(api, "/leaderboard/faucet/replicate/models", { query: { search: "x" }, pageSize: 5 });
}

export async function waitsAreTyped() {
  const job = await waitForJob(api, "job-id", {
    onProgress: (state, entity) => {
      expectTypeOf(state).toEqualTypeOf<JobState>();
      expectTypeOf(entity).toEqualTypeOf<Job>();
    },
  });
  expectTypeOf(job).toEqualTypeOf<Schema<"GetJobByIdEndpoint_Output">>();
  expectTypeOf(await waitForOrder(api, "order-id", { timeout: 60_000 })).toEqualTypeOf<Order>();
  expectTypeOf((await checkJob(api, "job-id")).entity).toEqualTypeOf<Job>();
  // @ts-expect-error not an option
  await waitForJob(api, "job-id", { intervall: 1_000 });
}

export async function uploadsAndDownloadsAreTyped() {
  const file = await uploadFile(api, new Uint8Array([1]), { name: "a.jpg", query: { compress: true } });
  expectTypeOf(file).toEqualTypeOf<Schema<"UploadFileEndpoint_Output">>();
  expectTypeOf(await uploadUrl(api, "https://example.com/a.jpg")).toEqualTypeOf<
    Schema<"UploadFileFromUrlEndpoint_Output">
  >();
  expectTypeOf(await batchUpload(api, ["https://example.com/a.jpg"])).toEqualTypeOf<BatchUploadResult>();
  expectTypeOf(await downloadResults(api, "order", "order-id")).toEqualTypeOf<Response>();
  // @ts-expect-error compress is a boolean
  await uploadFile(api, new Blob([]), { name: "a", query: { compress: "yes" } });
  // @ts-expect-error url is the argument, not a query option
  await uploadUrl(api, "https://example.com/a.jpg", { query: { url: "https://example.com/b.jpg" } });
  // @ts-expect-error "jobs" is not a kind
  await downloadResults(api, "jobs", "id");
}
