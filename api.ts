/**
 * `@rapidata/fetch/api`: the Rapidata API, typed. Types generated from Rapidata's OpenAPI description
 * (`paths`, `components`, `operations`) and {@link typed}, which gives a client's JSON helpers typed
 * path templates, parameters, bodies and results; and the workflows on top: {@link paginate},
 * {@link waitForJob} / {@link waitForOrder} (and one-poll {@link checkJob} / {@link checkOrder}),
 * {@link uploadFile}, {@link uploadUrl}, {@link batchUpload} and {@link downloadResults}. A Worker
 * that does not import this entry bundles none of it.
 *
 * The generated `paths` also work with `openapi-fetch`:
 * `createClient<paths>({ baseUrl: rapidata.apiUrl, fetch: rapidata.fetch })`.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const orders = await api.get("/orders", { query: { page: 1, order_name: { contains: "cats" } } });
 * ```
 *
 * @module
 */

export {
  type ApiPath,
  type ApiProblem,
  type ErrorBody,
  isApiProblem,
  type Method,
  type Operation,
  type ProblemDetails,
  type RequestBody,
  type ResponseBody,
  type Schema,
  typed,
  type TypedClient,
  type TypedRequestOptions,
  type ValidationProblemDetails,
} from "./src/api/typed.ts";
export type { components, operations, paths } from "./src/generated/rapidata_api.ts";
export {
  type Page,
  type PagedPath,
  type PageItem,
  paginate,
  type Paginated,
  type PaginateOptions,
} from "./src/api/paginate.ts";
export {
  type Check,
  checkJob,
  type CheckOptions,
  checkOrder,
  type Job,
  type JobState,
  type Order,
  type OrderState,
  RapidataWaitError,
  waitForJob,
  waitForOrder,
  type WaitOptions,
} from "./src/api/wait.ts";
export {
  batchUpload,
  type BatchUploadItem,
  type BatchUploadOptions,
  type BatchUploadResult,
  RapidataUploadError,
  uploadFile,
  type UploadFileOptions,
  uploadUrl,
  type UploadUrlOptions,
} from "./src/api/assets.ts";
export { type DownloadOptions, downloadResults } from "./src/api/results.ts";
export type { PollOptions } from "./src/api/poll.ts";
