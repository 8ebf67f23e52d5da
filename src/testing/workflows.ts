/**
 * The stand-in's workflow routes, shaped as the OpenAPI description shapes them: jobs and orders
 * whose state moves as a test scripts it, their results files (streamed), asset uploads (one file,
 * one URL, batch uploads) and a few paged lists of each paging style.
 *
 * @module
 */

import { decoded, json, problem, randomId } from "./http.ts";

/**
 * How a job or an order added with `addJob` / `addOrder` moves: one state per poll of
 * `GET /job/{jobId}` (or `/order/{orderId}`), the last kept.
 */
export interface ProgressScript {
  /** The states it answers, one per poll, the last kept. @default ["Queued", "Running", "Completed"] (orders: "Processing") */
  states?: string[];
  /** The states after a regeneration (`POST …/retry`), one per poll. @default ["Running", "Completed"] */
  afterRetry?: string[];
  /** Its `failureMessage` (sent in every answer once it is Failed or Cancelled). @default undefined */
  failureMessage?: string;
  /** A job's `reviewReason` (sent while it is ManualApproval). @default undefined */
  reviewReason?: string;
  /** The results file (`…/download-results`). @default a small JSON document */
  results?: string;
  /** Instead of `results`: this many bytes, made only as they are read (for tests of streaming). @default undefined */
  resultsBytes?: number;
}

/** What the stand-in saw of one job or order. */
export interface ProgressStats {
  /** Its state now. */
  state: string;
  /** Polls of `GET /job/{jobId}` (or `/order/{orderId}`). */
  polls: number;
  /** Regenerations asked for (`POST …/retry`). */
  retries: number;
  /** Downloads of its results file started. */
  downloads: number;
  /** Bytes of results files read by clients so far. */
  bytesSent: number;
}

/** A file the stand-in received at `POST /asset/file` or fetched for `POST /asset/url`. */
export interface StoredAsset {
  /** The name it was sent with (`/asset/file`), or the URL (`/asset/url`). */
  originalName: string;
  /** Its media type (`/asset/file`). */
  type: string;
  /** Its size in bytes (`/asset/file`). */
  size: number;
  /** Its first 200 bytes as text (`/asset/file`). */
  head: string;
  /** The query the upload came with. */
  query: Record<string, string>;
}

interface Tracked extends ProgressStats {
  kind: "job" | "order";
  id: string;
  script: Required<Pick<ProgressScript, "states" | "afterRetry">> & ProgressScript;
  moves: string[];
  createdAt: string;
}

interface Batch {
  id: string;
  urls: string[];
  looks: number;
  /** Aborted with `POST …/abort`: what was pending stays so. */
  stopped: boolean;
  status: "Processing" | "Completed" | "Aborted";
  correlationId: string | undefined;
  names: (string | undefined)[];
}

/** Status looks a batch upload takes to finish. */
const BATCH_LOOKS = 2;
/** The synthetic paged lists: how many items each has. */
export const PAGED_SIZES = { customers: 23, matchups: 17, bidders: 12, models: 11 } as const;
const MODELS_PAGE = 5;

const validation = (field: string, message: string) =>
  problem(400, "One or more validation errors occurred.", undefined, { errors: { [field]: [message] } });

/** The workflow state of one stand-in. @internal */
export function createWorkflows(now: () => number) {
  const tracked = new Map<string, Tracked>();
  const assets = new Map<string, StoredAsset>();
  const batches = new Map<string, Batch>();

  function add(kind: "job" | "order", script: ProgressScript = {}): string {
    const id = randomId(`${kind}-`);
    const states = script.states ?? ["Queued", kind === "job" ? "Running" : "Processing", "Completed"];
    const afterRetry = script.afterRetry ?? [kind === "job" ? "Running" : "Processing", "Completed"];
    if (!Array.isArray(states) || states.length === 0 || !Array.isArray(afterRetry) || afterRetry.length === 0) {
      throw new TypeError("states and afterRetry must be non-empty arrays of states");
    }
    tracked.set(id, {
      kind,
      id,
      script: { ...script, states, afterRetry },
      moves: states,
      state: states[0]!,
      polls: 0,
      retries: 0,
      downloads: 0,
      bytesSent: 0,
      createdAt: new Date(now()).toISOString(),
    });
    return id;
  }

  function entity(item: Tracked): Record<string, unknown> {
    const { script, state } = item;
    const ended = state === "Failed" || state === "Cancelled";
    const failureMessage = ended ? script.failureMessage ?? null : null;
    if (item.kind === "order") {
      return {
        orderName: `Order ${item.id}`,
        customerMail: "customer@example.com",
        orderDate: item.createdAt,
        state,
        pipelineId: `pipeline-${item.id}`,
        isLocked: false,
        isPublic: false,
        failureMessage,
      };
    }
    return {
      jobId: item.id,
      name: `Job ${item.id}`,
      definitionId: "definition-1",
      audienceId: "audience-1",
      revisionNumber: 1,
      pipelineId: `pipeline-${item.id}`,
      campaignId: null,
      audienceName: "Everyone",
      state,
      isPublic: false,
      audienceDeleted: false,
      completedAt: state === "Completed" ? new Date(now()).toISOString() : null,
      resultFileName: state === "Completed" ? `${item.id}.json` : null,
      failedAt: state === "Failed" ? new Date(now()).toISOString() : null,
      failureMessage,
      reviewReason: state === "ManualApproval" ? script.reviewReason ?? null : null,
      createdAt: item.createdAt,
      ownerId: "owner-1",
      ownerMail: "owner@example.com",
      organizationId: "organization-1",
    };
  }

  /** The results file, streamed: made chunk by chunk as the client reads, ended by the request's abort. */
  function results(item: Tracked, signal: AbortSignal): Response {
    item.downloads++;
    const headers = {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${item.id}-results.json"`,
    };
    const { resultsBytes } = item.script;
    if (resultsBytes === undefined) {
      const text = item.script.results ?? JSON.stringify({ id: item.id, kind: item.kind, results: [{ a: 1 }] });
      const bytes = new TextEncoder().encode(text);
      item.bytesSent += bytes.byteLength;
      return new Response(bytes, { headers: { ...headers, "content-length": String(bytes.byteLength) } });
    }
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let left = resultsBytes;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        signal.addEventListener("abort", () => controller.error(signal.reason), { once: true });
      },
      pull(controller) {
        if (signal.aborted) return controller.error(signal.reason);
        if (left <= 0) return controller.close();
        const size = Math.min(left, chunk.byteLength);
        left -= size;
        item.bytesSent += size;
        controller.enqueue(chunk.slice(0, size));
      },
    }, { highWaterMark: 0 });
    return new Response(body, { headers });
  }

  /** A batch upload after one more look: done after {@link BATCH_LOOKS}. */
  function look(batch: Batch): Batch {
    if (batch.status === "Processing" && ++batch.looks >= BATCH_LOOKS) {
      batch.status = batch.urls.some((url) => url.includes("abort")) ? "Aborted" : "Completed";
      batch.names = batch.urls.map((url) =>
        url.includes("fail") || url.includes("abort") ? undefined : `${randomId("")}${extension(url)}`
      );
    }
    return batch;
  }

  function urlItem(batch: Batch, url: string, i: number) {
    if (batch.status === "Processing" || batch.stopped || url.includes("abort")) return { url, status: "Pending" };
    const fileName = batch.names[i];
    return fileName
      ? { url, fileName, warnings: [], status: "Completed" }
      : { url, status: "Failed", errorMessage: `${url} answered HTTP 404`, stage: "Download", upstreamHttpStatus: 404 };
  }

  function counts(list: Batch[]) {
    let completedCount = 0;
    let failedCount = 0;
    for (const batch of list) {
      batch.urls.forEach((url, i) => {
        const item = urlItem(batch, url, i);
        if (item.status === "Completed") completedCount++;
        if (item.status === "Failed") failedCount++;
      });
    }
    return { totalCount: list.reduce((n, b) => n + b.urls.length, 0), completedCount, failedCount };
  }

  async function handle(request: Request, url: URL, trace: Record<string, string>): Promise<Response | undefined> {
    const { pathname: path, searchParams: query } = url;
    const method = request.method;
    const entityRoute = /^\/(job|order)\/([^/]+)(\/retry|\/download-results)?$/.exec(path);
    if (entityRoute) {
      const item = tracked.get(decoded(entityRoute[2]!));
      if (!item || item.kind !== entityRoute[1]) return undefined; // the fixed orders, or a 404
      const action = entityRoute[3];
      if (method === "GET" && !action) {
        item.state = item.moves[Math.min(item.polls, item.moves.length - 1)]!;
        item.polls++;
        return json(200, entity(item), trace);
      }
      if (method === "POST" && action === "/retry") {
        item.retries++;
        item.moves = item.script.afterRetry;
        item.polls = 0;
        item.state = item.moves[0]!;
        return new Response(null, { status: 204, headers: trace });
      }
      if (method === "GET" && action === "/download-results") {
        if (item.state !== "Completed") {
          return validation(
            item.kind === "job" ? "JobId" : "OrderId",
            `The ${item.kind} is ${item.state}, not Completed.`,
          );
        }
        return results(item, request.signal);
      }
      return undefined;
    }
    if (method === "POST" && path === "/asset/file") {
      let file: FormDataEntryValue | null = null;
      try {
        file = (await request.formData()).get("file");
      } catch { /* not multipart */ }
      if (file === null || typeof file === "string") return validation("File", "The file field is required.");
      const bytes = new Uint8Array(await file.arrayBuffer());
      const fileName = `${randomId("")}${extension(file.name)}`;
      assets.set(fileName, {
        originalName: file.name,
        type: file.type,
        size: bytes.byteLength,
        head: new TextDecoder().decode(bytes.slice(0, 200)),
        query: Object.fromEntries(query),
      });
      const compressed = query.get("compress") === "true";
      return json(200, {
        fileName,
        warnings: [],
        wasCompressed: compressed,
        originalSizeBytes: bytes.byteLength,
        finalSizeBytes: bytes.byteLength,
      }, trace);
    }
    if (method === "POST" && path === "/asset/url") {
      const source = query.get("url");
      if (!source) return validation("Url", "The url field is required.");
      if (source.includes("fail")) return problem(400, "Bad Request", `${source} answered HTTP 404`);
      const fileName = `${randomId("")}${extension(source)}`;
      assets.set(fileName, { originalName: source, type: "", size: 0, head: "", query: Object.fromEntries(query) });
      return json(
        200,
        { fileName, warnings: [], wasCompressed: false, originalSizeBytes: null, finalSizeBytes: null },
        trace,
      );
    }
    if (method === "POST" && path === "/asset/batch-upload") {
      let body: { urls?: unknown; correlationId?: unknown } | undefined;
      try {
        body = await request.json();
      } catch { /* below */ }
      const urls = body?.urls;
      if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === "string")) {
        return validation("Urls", "The Urls field must hold at least one URL.");
      }
      const invalid = urls.find((u: string) => u.includes("invalid"));
      if (invalid) return validation("Urls", `${invalid} is not a valid URL.`);
      const id = randomId("batch-");
      const correlationId = typeof body?.correlationId === "string" ? body.correlationId : undefined;
      batches.set(id, { id, urls, looks: 0, stopped: false, status: "Processing", correlationId, names: [] });
      return json(200, { batchUploadId: id }, trace);
    }
    if (method === "GET" && path === "/asset/batch-upload/status") {
      const ids = query.getAll("batchUploadIds");
      const correlationId = query.get("correlationId");
      const list = [...batches.values()].filter((b) => ids.includes(b.id) || b.correlationId === correlationId)
        .map(look);
      const status = list.some((b) => b.status === "Processing")
        ? "Processing"
        : list.some((b) => b.status === "Aborted")
        ? "Aborted"
        : "Completed";
      const completedBatches = list.filter((b) => b.status !== "Processing").map((b) => b.id);
      return json(200, { status, ...counts(list), completedBatches }, trace);
    }
    const batchRoute = /^\/asset\/batch-upload\/([^/]+)(\/abort)?$/.exec(path);
    if (batchRoute) {
      const batch = batches.get(decoded(batchRoute[1]!));
      if (!batch) return problem(404, "Not Found", `Batch upload ${batchRoute[1]} does not exist`);
      if (method === "POST" && batchRoute[2]) {
        if (batch.status === "Processing") {
          batch.status = "Aborted";
          batch.stopped = true;
        }
        return new Response(null, { status: 204, headers: trace });
      }
      if (method === "GET" && !batchRoute[2]) {
        look(batch); // a look at the batch, as a status poll is
        return json(200, {
          batchUploadId: batch.id,
          status: batch.status,
          ...counts([batch]),
          items: batch.urls.map((url, i) => urlItem(batch, url, i)),
        }, trace);
      }
    }
    if (method === "GET") return paged(path, query, trace);
    return undefined;
  }

  return {
    addJob: (script?: ProgressScript) => add("job", script),
    addOrder: (script?: ProgressScript) => add("order", script),
    progress(id: string): ProgressStats | undefined {
      const item = tracked.get(id);
      return item && {
        state: item.state,
        polls: item.polls,
        retries: item.retries,
        downloads: item.downloads,
        bytesSent: item.bytesSent,
      };
    },
    asset: (fileName: string): StoredAsset | undefined => assets.get(fileName),
    handle,
  };
}

/** A file name's extension (`.jpg`), or none. */
function extension(name: string): string {
  return /\.[A-Za-z0-9]{1,8}$/.exec(name.split(/[?#]/)[0]!)?.[0] ?? "";
}

/** `page` / page size of a page-based request; a 400 for values that are not positive integers. */
function pageOf(query: URLSearchParams, sizeName: string, fallback: number): [number, number] | Response {
  const read = (name: string, value: number) => {
    const text = query.get(name);
    if (text === null) return value;
    return /^[1-9]\d*$/.test(text) ? Number(text) : NaN;
  };
  const page = read("page", 1);
  const size = Math.min(100, read(sizeName, fallback));
  if (Number.isNaN(page) || Number.isNaN(size)) return validation(sizeName, "must be a positive integer");
  return [page, size];
}

/** The synthetic paged lists: one of each paging style the description has. */
function paged(path: string, query: URLSearchParams, trace: Record<string, string>): Response | undefined {
  if (path === "/billing/costs/customers") { // page + camelCase pageSize, with totalPages
    const at = pageOf(query, "pageSize", 10);
    if (at instanceof Response) return at;
    const [page, size] = at;
    const all = Array.from({ length: PAGED_SIZES.customers }, (_, i) => ({
      customerId: `customer-${i + 1}`,
      customerMail: `customer-${i + 1}@example.com`,
      grossCost: 10 + i,
      discount: 0,
      netCost: 10 + i,
      responseCount: 100 * (i + 1),
    }));
    const items = all.slice((page - 1) * size, page * size);
    return json(
      200,
      { total: all.length, page, pageSize: size, items, totalPages: Math.ceil(all.length / size) },
      trace,
    );
  }
  const matchups = /^\/benchmark\/([^/]+)\/matchups\/query$/.exec(path);
  if (matchups) { // page + page_size, without totalPages
    const at = pageOf(query, "page_size", 10);
    if (at instanceof Response) return at;
    const [page, size] = at;
    const all = Array.from({ length: PAGED_SIZES.matchups }, (_, i) => ({
      leaderboard: { id: "leaderboard-1", name: "Leaderboard" },
      promptIdentifier: `prompt-${i + 1}`,
      prompt: null,
      sides: [],
      responses: 10,
      extremeness: 0.5,
      latestVotedAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
    }));
    const items = all.slice((page - 1) * size, page * size);
    return json(200, { items, total: all.length, page, pageSize: size, corpus: { benchmarkId: matchups[1] } }, trace);
  }
  if (path === "/authorization/relations/bidder") { // cursor + page_size
    const at = pageOf(query, "page_size", 5);
    if (at instanceof Response) return at;
    const start = query.has("cursor") ? Number(/^c(\d+)$/.exec(query.get("cursor")!)?.[1] ?? NaN) : 0;
    if (Number.isNaN(start)) return validation("cursor", "is not a cursor of this list");
    const end = Math.min(PAGED_SIZES.bidders, start + at[1]);
    const items = Array.from({ length: end - start }, (_, i) => ({
      customer: `customer-${start + i + 1}`,
      email: `bidder-${start + i + 1}@example.com`,
      organizationName: "Example",
      organizationId: "organization-1",
      scope: "Organization",
      relation: query.get("relation") ?? "Bidder",
      grantedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
    }));
    return json(200, { items, nextCursor: end < PAGED_SIZES.bidders ? `c${end}` : null }, trace);
  }
  if (path === "/leaderboard/faucet/replicate/models") { // cursor, answering `models`, fixed page size
    if (!query.has("search")) return validation("search", "The search field is required.");
    const start = query.has("cursor") ? Number(/^m(\d+)$/.exec(query.get("cursor")!)?.[1] ?? NaN) : 0;
    if (Number.isNaN(start)) return validation("cursor", "is not a cursor of this list");
    const end = Math.min(PAGED_SIZES.models, start + MODELS_PAGE);
    const models = Array.from({ length: end - start }, (_, i) => ({
      modelOwner: "example",
      modelName: `${query.get("search")}-${start + i + 1}`,
      runCount: start + i,
    }));
    return json(200, { models, nextCursor: end < PAGED_SIZES.models ? `m${end}` : undefined }, trace);
  }
  return undefined;
}
