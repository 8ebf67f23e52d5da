/**
 * Uploading assets: one file as multipart/form-data (`/asset/file`), one URL (`/asset/url`), and many
 * URLs as batch uploads (`/asset/batch-upload`) in chunks, waited on until Completed or Aborted, with
 * per-URL results and a failure tolerance.
 *
 * @module
 */

import type { RequestOptions } from "../client.ts";
import { RapidataError } from "../errors.ts";
import { onlyKnown } from "../internal/known.ts";
import {
  checkNumber,
  checkPollOptions,
  misuse,
  optionsOf,
  type PollOptions,
  startPolling,
  WORKFLOW_DEFAULTS,
} from "./poll.ts";
import type { ResponseBody, Schema, TypedClient, TypedRequestOptions } from "./typed.ts";
import { RapidataWaitError } from "./wait.ts";

/** The query options of `/asset/file` (`compress`, `quality`, `maxdim`). */
type FileQuery = NonNullable<TypedRequestOptions<"post", "/asset/file">["query"]>;
/** The query options of `/asset/url` besides `url`. */
type UrlQuery = Omit<NonNullable<TypedRequestOptions<"post", "/asset/url">["query"]>, "url">;
type Passed = Pick<RequestOptions, "headers" | "signal" | "deadline" | "waitUntil">;
const PASSED = ["headers", "signal", "deadline", "waitUntil"];

/**
 * Options of {@link uploadFile}.
 *
 * @example
 * ```ts
 * import type { UploadFileOptions } from "@rapidata/fetch/api";
 * const options: UploadFileOptions = { name: "cat.jpg", type: "image/jpeg", query: { compress: false } };
 * ```
 */
export interface UploadFileOptions extends Passed {
  /** The file name sent with the file (required for bytes and for a Blob that is not a File). @default the File's name */
  name?: string;
  /** The media type of bytes (a Blob keeps its own). @default "application/octet-stream" */
  type?: string;
  /** The description's query options of `/asset/file`: `compress`, `quality`, `maxdim`. @default undefined */
  query?: FileQuery;
}

/**
 * Uploads one file (`POST /asset/file`, multipart/form-data, the file name kept) and resolves with
 * what the API answers: the internal `fileName` to use for datapoints, `warnings`, sizes.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { typed, uploadFile } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const bytes = new Uint8Array([0xff, 0xd8, 0xff]);
 * const { fileName } = await uploadFile(api, bytes, { name: "cat.jpg", type: "image/jpeg" });
 * ```
 */
export async function uploadFile(
  api: TypedClient,
  file: Blob | ArrayBuffer | ArrayBufferView,
  given?: UploadFileOptions,
): Promise<ResponseBody<"post", "/asset/file">> {
  checkApi("uploadFile", api);
  const options = optionsOf("uploadFile", given);
  onlyKnown(options, [...PASSED, "name", "type", "query"], "uploadFile");
  const { name: named, type, query, ...request } = options;
  const isBlob = file instanceof Blob;
  if (!isBlob && !(file instanceof ArrayBuffer) && !ArrayBuffer.isView(file)) {
    throw new TypeError(
      "uploadFile: the file must be a Blob, a File or bytes (ArrayBuffer, Uint8Array)" +
        ((file as unknown) instanceof ReadableStream ? "; read a stream first: await new Response(stream).blob()" : ""),
    );
  }
  if (named !== undefined && typeof named !== "string") misuse("uploadFile", "name", "must be a string");
  const name = named ?? (isBlob && typeof (file as File).name === "string" ? (file as File).name : "");
  if (name === "") misuse("uploadFile", "name", "is required: the file name to send (a File has its own)");
  if (type !== undefined && typeof type !== "string") misuse("uploadFile", "type", "must be a media type string");
  // `type` names the media type of bytes, and of a Blob when given (the Blob is not copied).
  const blob = isBlob && type === undefined
    ? file
    : new Blob([file as BlobPart], { type: type ?? "application/octet-stream" });
  const form = new FormData();
  form.append("file", blob, name);
  return await api.post("/asset/file", form as never, { ...request, query } as never);
}

/**
 * Options of {@link uploadUrl}.
 *
 * @example
 * ```ts
 * import type { UploadUrlOptions } from "@rapidata/fetch/api";
 * const options: UploadUrlOptions = { query: { compress: true, quality: 80 } };
 * ```
 */
export interface UploadUrlOptions extends Passed {
  /** The description's query options of `/asset/url` besides `url`: `compress`, `quality`, `maxdim`. @default undefined */
  query?: UrlQuery;
}

/**
 * Has the API fetch `url` and store it (`POST /asset/url`); resolves with the internal `fileName`.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { typed, uploadUrl } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const { fileName } = await uploadUrl(api, "https://example.com/cat.jpg");
 * ```
 */
export async function uploadUrl(
  api: TypedClient,
  url: string | URL,
  given?: UploadUrlOptions,
): Promise<ResponseBody<"post", "/asset/url">> {
  checkApi("uploadUrl", api);
  const options = optionsOf("uploadUrl", given);
  onlyKnown(options, [...PASSED, "query"], "uploadUrl");
  const { query, ...request } = options;
  return await api.post("/asset/url", undefined, { ...request, query: { ...query, url: checkUrl("uploadUrl", url) } });
}

/**
 * One URL's outcome in {@link batchUpload}: `ok` with the internal `fileName`, or not with `error`.
 *
 * @example
 * ```ts
 * import type { BatchUploadItem } from "@rapidata/fetch/api";
 * const failed = (items: BatchUploadItem[]) => items.filter((item) => !item.ok).map((item) => item.error);
 * ```
 */
export interface BatchUploadItem {
  /** The URL as given. */
  readonly url: string;
  /** Stored: `fileName` is set. */
  readonly ok: boolean;
  /** The URL's status at the end (`Completed`, `Failed`, `Pending` in an aborted batch, or `NotCreated`). */
  readonly status: Schema<"BatchUploadUrlStatus"> | "NotCreated";
  /** The internal file name to use for datapoints, when stored. */
  readonly fileName?: string;
  /** Why it failed. */
  readonly error?: string;
  /** The batch upload it was part of (none if the batch could not be created). */
  readonly batchUploadId?: string;
}

/**
 * What {@link batchUpload} resolves with (and a `RapidataUploadError` carries): every URL's outcome
 * in the order given, and the failures among them.
 *
 * @example
 * ```ts
 * import type { BatchUploadResult } from "@rapidata/fetch/api";
 * const names = (result: BatchUploadResult) => result.items.map((item) => item.fileName);
 * ```
 */
export interface BatchUploadResult {
  /** The batch uploads created, one per chunk. */
  readonly batchUploadIds: string[];
  /** Every URL's outcome, in the order given. */
  readonly items: BatchUploadItem[];
  /** The items that are not `ok`. */
  readonly failed: BatchUploadItem[];
}

/**
 * More URLs of a {@link batchUpload} failed than its `failureTolerance` allows (`ERR_UPLOAD_FAILED`);
 * `result` has every URL's outcome, so nothing uploaded is lost.
 *
 * @example
 * ```ts
 * import { RapidataUploadError } from "@rapidata/fetch/api";
 * const report = (error: unknown) => error instanceof RapidataUploadError ? error.result.failed : [];
 * ```
 */
export class RapidataUploadError extends RapidataError {
  /** Every URL's outcome. */
  declare readonly result: BatchUploadResult;

  /** @internal */
  constructor(message: string, result: BatchUploadResult) {
    super("ERR_UPLOAD_FAILED", message);
    this.name = "RapidataUploadError";
    this.result = result;
  }
}

/**
 * Options of {@link batchUpload}.
 *
 * @example
 * ```ts
 * import type { BatchUploadOptions } from "@rapidata/fetch/api";
 * const options: BatchUploadOptions = { chunkSize: 200, concurrency: 2, failureTolerance: 0.05, timeout: 600_000 };
 * ```
 */
export interface BatchUploadOptions extends PollOptions {
  /** URLs per batch upload. @default 500 */
  chunkSize?: number;
  /** Batch uploads created (and results read) at once. @default 4 */
  concurrency?: number;
  /** The share of URLs (0 to 1) that may fail before the promise rejects with `ERR_UPLOAD_FAILED`. @default 0 */
  failureTolerance?: number;
  /** Sent with every batch: groups them for `/asset/batch-upload/status?correlationId=`. @default undefined */
  correlationId?: string;
  /** Image compression for every URL, over the configured defaults. @default undefined */
  compression?: Schema<"CompressionOverride">;
  /** Called after each status poll with the counts over all batches. @default undefined */
  onProgress?: (status: Schema<"GetBatchUploadStatusEndpoint_Output">) => void;
}

type BatchResult = Schema<"GetBatchUploadResultEndpoint_Output">;
type BatchUrlResult = Schema<"GetBatchUploadResultEndpoint_UrlOutput">;

/** Status polls name at most this many batch uploads (the URL stays short). */
const STATUS_GROUP = 40;

/**
 * Uploads many URLs: batch uploads of `chunkSize` URLs (`POST /asset/batch-upload`, `concurrency` at
 * once), their status polled (`GET /asset/batch-upload/status`, waits as {@link waitForJob}'s) until
 * Completed or Aborted, then every URL's outcome read (`GET /asset/batch-upload/{id}`). A chunk the
 * API refuses counts as failed URLs. Resolves with the outcomes when at most `failureTolerance` of the
 * URLs failed, else rejects with a {@link RapidataUploadError} that carries them. `timeout` rejects
 * with `ERR_WAIT_TIMEOUT`, `signal` with its reason (the batches go on at Rapidata).
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { batchUpload, typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const urls = ["https://example.com/1.jpg", "https://example.com/2.jpg"];
 * const { items } = await batchUpload(api, urls, { failureTolerance: 0.1 });
 * console.log(items.map((item) => item.fileName));
 * ```
 */
export async function batchUpload(
  api: TypedClient,
  urls: Iterable<string | URL>,
  given?: BatchUploadOptions,
): Promise<BatchUploadResult> {
  const where = "batchUpload";
  checkApi(where, api);
  const options = optionsOf(where, given);
  onlyKnown(options, [
    "interval",
    "timeout",
    "signal",
    "chunkSize",
    "concurrency",
    "failureTolerance",
    "correlationId",
    "compression",
    "onProgress",
  ], where);
  checkPollOptions(where, options);
  checkNumber(where, "chunkSize", options.chunkSize, 1, true);
  checkNumber(where, "concurrency", options.concurrency, 1, true);
  checkNumber(where, "failureTolerance", options.failureTolerance, 0);
  if ((options.failureTolerance ?? 0) > 1) misuse(where, "failureTolerance", "is a share of the URLs, from 0 to 1");
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    misuse(where, "onProgress", "must be a function");
  }
  if (typeof (urls as Iterable<unknown> | null)?.[Symbol.iterator] !== "function" || typeof urls === "string") {
    throw new TypeError(`${where}: the URLs must be an array (or another iterable) of URLs`);
  }
  const list = [...urls].map((url, i) => checkUrl(`${where}: URL ${i}`, url));
  const {
    chunkSize = WORKFLOW_DEFAULTS.chunkSize,
    concurrency = WORKFLOW_DEFAULTS.concurrency,
    failureTolerance = WORKFLOW_DEFAULTS.failureTolerance,
    correlationId,
    compression,
  } = options;
  const chunks: string[][] = [];
  for (let i = 0; i < list.length; i += chunkSize) chunks.push(list.slice(i, i + chunkSize));
  let ids: string[] = [];
  const poller = startPolling(
    options,
    () =>
      new RapidataWaitError("ERR_WAIT_TIMEOUT", `Rapidata batch upload not finished within ${options.timeout} ms`, {
        kind: "batch upload",
        id: ids.join(","),
      }),
  );
  const { signal } = poller;
  try {
    return await poller.run(async () => {
      // 1. One batch upload per chunk; a chunk the API refuses is that many failed URLs.
      const created = await inTurns(chunks, concurrency, async (chunk) => {
        try {
          const answer = await api.post("/asset/batch-upload", {
            urls: chunk,
            ...(correlationId !== undefined && { correlationId }),
            ...(compression !== undefined && { compression }),
          }, { signal }) as { batchUploadId?: unknown } | undefined;
          const batchUploadId = answer?.batchUploadId;
          return typeof batchUploadId === "string" && batchUploadId !== ""
            ? { batchUploadId }
            : { error: "the API answered without a batchUploadId" };
        } catch (error) {
          if (signal.aborted) throw error;
          return { error: reasonOf(error) };
        }
      });
      ids = created.flatMap((c) => c.batchUploadId ? [c.batchUploadId] : []);
      // 2. Their status, until none is Processing. A group's answer is a hint; each batch's own
      // result (step 3) is what counts.
      for (let pending = ids; pending.length > 0;) {
        const groups: string[][] = [];
        for (let i = 0; i < pending.length; i += STATUS_GROUP) groups.push(pending.slice(i, i + STATUS_GROUP));
        const statuses = await inTurns(
          groups,
          concurrency,
          (group) => api.get("/asset/batch-upload/status", { query: { batchUploadIds: group }, signal }),
        );
        const total = { status: "Completed", totalCount: 0, completedCount: 0, failedCount: 0, completedBatches: [] };
        const next: string[] = [];
        statuses.forEach((status, i) => {
          const done = Array.isArray(status?.completedBatches) ? status.completedBatches : [];
          if (status?.status === "Processing") next.push(...groups[i]!.filter((id) => !done.includes(id)));
          if (status?.status === "Aborted") total.status = "Aborted";
          total.totalCount += Number(status?.totalCount) || 0;
          total.completedCount += Number(status?.completedCount) || 0;
          total.failedCount += Number(status?.failedCount) || 0;
          (total.completedBatches as string[]).push(...done);
        });
        if (next.length > 0) total.status = "Processing";
        options.onProgress?.(total as Schema<"GetBatchUploadStatusEndpoint_Output">);
        pending = next;
        if (pending.length > 0) await poller.pause();
      }
      // 3. Every batch's result, read again (with the waits) while it says it is still Processing.
      const byId = new Map<string, BatchResult | undefined>();
      for (let todo = ids; todo.length > 0;) {
        const results = await inTurns(
          todo,
          concurrency,
          async (batchUploadId) =>
            await api.get("/asset/batch-upload/{batchUploadId}", { path: { batchUploadId }, signal }) as
              | BatchResult
              | undefined,
        );
        todo.forEach((id, i) => byId.set(id, results[i]));
        todo = todo.filter((_, i) => results[i]?.status === "Processing");
        if (todo.length > 0) await poller.pause();
      }
      // 4. Every URL's outcome, in the order given.
      const items = chunks.flatMap((chunk, i): BatchUploadItem[] => {
        const { batchUploadId, error } = created[i]!;
        if (!batchUploadId) return chunk.map((url) => ({ url, ok: false, status: "NotCreated", error }));
        const result = byId.get(batchUploadId);
        const listed = Array.isArray(result?.items) ? result.items.filter((item) => typeof item?.url === "string") : [];
        // Matched by URL (a URL given twice takes the API's entries in turn); by position when the API
        // wrote the URLs differently but listed as many.
        const byUrl = new Map<string, BatchUrlResult[]>();
        for (const item of listed) byUrl.set(item.url, [...byUrl.get(item.url) ?? [], item]);
        const inOrder = listed.length === chunk.length && chunk.some((url) => !byUrl.has(url));
        return chunk.map((url, j) => {
          const item = inOrder ? listed[j] : byUrl.get(url)?.shift();
          if (item?.status === "Completed" && typeof item.fileName === "string" && item.fileName) {
            return { url, ok: true, status: item.status, fileName: item.fileName, batchUploadId };
          }
          const why = item?.errorMessage ??
            (!result
              ? "the API answered no result for this batch upload"
              : result.status === "Aborted"
              ? "the batch upload was aborted"
              : "no result for this URL");
          return { url, ok: false, status: item?.status ?? "Pending", error: why, batchUploadId };
        });
      });
      const outcome = { batchUploadIds: ids, items, failed: items.filter((item) => !item.ok) };
      if (outcome.failed.length > failureTolerance * list.length) {
        throw new RapidataUploadError(
          `Rapidata batch upload: ${outcome.failed.length} of ${list.length} URLs failed ` +
            `(failureTolerance ${failureTolerance}); the first: ${outcome.failed[0]!.url}: ${outcome.failed[0]!.error}`,
          outcome,
        );
      }
      return outcome;
    });
  } finally {
    poller.done();
  }
}

/** Why a chunk was refused: the error's message and, for a validation problem, its field errors. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fields = (error as { details?: { errors?: unknown } }).details?.errors;
  const said = fields && typeof fields === "object"
    ? Object.values(fields).flat().filter((m) => typeof m === "string")
    : [];
  return said.length > 0 ? `${error.message} (${said.join("; ")})` : error.message;
}

function checkApi(where: string, api: TypedClient | undefined): void {
  if (typeof api?.post !== "function" || typeof api.get !== "function") {
    throw new TypeError(`${where}: expects a typed client: ${where}(typed(createClient(…)), …)`);
  }
}

/** `url` as an absolute http(s) URL string, or a `TypeError` naming it. */
function checkUrl(where: string, url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" || url instanceof URL ? new URL(url) : undefined;
  } catch { /* below */ }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    throw new TypeError(`${where}: ${JSON.stringify(String(url))} is not an absolute http(s) URL`);
  }
  return typeof url === "string" ? url : parsed.href;
}

/**
 * `work` on every item, at most `limit` at once; the results in order. The first failure rejects, and
 * no item is started after it.
 */
async function inTurns<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
