/**
 * `paginate`: every item of a paged GET of the Rapidata API, page after page, typed from the
 * description. Which parameter pages and where the items are comes from src/generated/paging.ts.
 *
 * @module
 */

import { REQUEST_OPTIONS, type RequestOptions } from "../client.ts";
import { RapidataError } from "../errors.ts";
import { PAGED } from "../generated/paging.ts";
import { nearest, onlyKnown } from "../internal/known.ts";
import { checkNumber, misuse, optionsOf } from "./poll.ts";
import type { ApiPath, Operation, PathParams, QueryParams, ResponseBody, TypedClient } from "./typed.ts";

type Get<P> = Operation<"get", P>;
type Pages<Op> = [QueryParams<Op>] extends [never] ? false
  : "page" extends keyof QueryParams<Op> ? true
  : "cursor" extends keyof QueryParams<Op> ? true
  : false;
/** An answer with an item array (every variant of a union answer). */
type Listed<A> = [A] extends [{ items: readonly unknown[] }] ? true
  : [A] extends [{ models: readonly unknown[] }] ? true
  : false;

/**
 * Every path template of a paged GET: a `page` (with `page_size` or `pageSize`) or a `cursor` query
 * parameter, answered by an object with an `items` (or `models`) array. What {@link paginate} accepts.
 *
 * @example
 * ```ts
 * import type { PagedPath } from "@rapidata/fetch/api";
 * const path: PagedPath = "/orders";
 * ```
 */
export type PagedPath = {
  [P in ApiPath<"get">]: Pages<Get<P>> extends true ? Listed<ResponseBody<"get", P>> extends true ? P : never : never;
}[ApiPath<"get">];

/**
 * One page of `path`, as the API answers it (`{ items, page, pageSize, total, totalPages }`,
 * `{ items, nextCursor }`, …).
 *
 * @example
 * ```ts
 * import type { Page } from "@rapidata/fetch/api";
 * type OrdersPage = Page<"/orders">; // { items, page, pageSize, total, totalPages }
 * ```
 */
export type Page<P extends PagedPath> = ResponseBody<"get", P>;

/**
 * One item of `path`'s pages.
 *
 * @example
 * ```ts
 * import type { PageItem } from "@rapidata/fetch/api";
 * type Order = PageItem<"/orders">; // { id, orderName, state, … }
 * ```
 */
export type PageItem<P extends PagedPath> = Page<P> extends { items: readonly (infer I)[] } ? I
  : Page<P> extends { models: readonly (infer I)[] } ? I
  : never;

type PagingKeys = "page" | "page_size" | "pageSize" | "cursor";
/** The query parameters paginate leaves to the caller. */
type RestQuery<Op> = Omit<QueryParams<Op>, PagingKeys>;
/** Whether one of those is required (the options are then required too). */
type QueryNeeded<Op> = [QueryParams<Op>] extends [never] ? false
  : Record<never, never> extends RestQuery<Op> ? false
  : true;

/**
 * Options of {@link paginate}: the core's request options (`headers`, `signal`, `deadline`,
 * `waitUntil`) for every page, `path` (the path parameters, required when there are any), `query`
 * (the declared filters and sort, without the paging parameters), `pageSize` and `limit`.
 *
 * @example
 * ```ts
 * import type { PaginateOptions } from "@rapidata/fetch/api";
 * const options: PaginateOptions<"/orders"> = { query: { state: { eq: "Completed" } }, pageSize: 50, limit: 200 };
 * ```
 */
export type PaginateOptions<P extends PagedPath> =
  & Omit<RequestOptions, "query">
  & ([PathParams<Get<P>>] extends [never] ? { path?: never } : { path: PathParams<Get<P>> })
  & (QueryNeeded<Get<P>> extends true ? {
      /** The declared query parameters but the paging ones (some are required here). */
      query: RestQuery<Get<P>>;
    }
    : {
      /** Filters and sort as the description declares them (the paging parameters are set here). @default undefined */
      query?: RestQuery<Get<P>>;
    })
  & {
    /** Items per page (`page_size` / `pageSize`; not for a path without one). @default the API's default */
    pageSize?: "page_size" extends keyof QueryParams<Get<P>> ? number
      : "pageSize" extends keyof QueryParams<Get<P>> ? number
      : never;
    /** At most this many items (and no request beyond the page that reaches it). @default undefined (all) */
    limit?: number;
  };

/**
 * What {@link paginate} returns: iterate it (`for await`) for the items, `pages()` for whole pages.
 * Each iteration starts from the first page; breaking out of a loop makes no further request.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { paginate, type Paginated, typed } from "@rapidata/fetch/api";
 * const api = typed(createClient({ clientId: "id", clientSecret: "secret" }));
 * const orders: Paginated<"/orders"> = paginate(api, "/orders");
 * for await (const page of orders.pages()) console.log(page.page, page.items.length);
 * ```
 */
export interface Paginated<P extends PagedPath> extends AsyncIterable<PageItem<P>> {
  /** The pages themselves, as the API answers them (the last one cut to `limit`). */
  pages(): AsyncIterableIterator<Page<P>>;
}

type PaginateArgs<P extends PagedPath> = [PathParams<Get<P>>] extends [never]
  ? QueryNeeded<Get<P>> extends true ? [options: PaginateOptions<P>] : [options?: PaginateOptions<P>]
  : [options: PaginateOptions<P>];

const OPTIONS = [...REQUEST_OPTIONS.filter((name) => name !== "query"), "query", "path", "pageSize", "limit"];
const PAGED_PATHS = Object.keys(PAGED);

/**
 * Every item of a paged GET, page after page: page-based paths (`page` with `page_size` or
 * `pageSize`) and cursor-based ones (`cursor`, answered with `nextCursor`). It stops at the last page
 * without asking for another where the answer says so (`totalPages`, `total`, no `nextCursor`), and
 * after an empty page otherwise. A path that is not paged does not compile (and is a `TypeError`);
 * errors of the calls are the client's (`RapidataApiError`, 429 waits included); `signal` ends it.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { paginate, typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * for await (const order of paginate(api, "/orders", { query: { state: { eq: "Completed" } }, limit: 100 })) {
 *   console.log(order.id, order.orderName);
 * }
 * ```
 */
export function paginate<P extends PagedPath>(api: TypedClient, path: P, ...args: PaginateArgs<P>): Paginated<P> {
  if (typeof api?.get !== "function" || typeof api.client !== "object") {
    throw new TypeError("paginate: expects a typed client: paginate(typed(createClient(…)), path)");
  }
  const paging = typeof path === "string" && Object.hasOwn(PAGED, path)
    ? (PAGED as Record<string, readonly ["page" | "cursor", "page_size" | "pageSize" | null, "items" | "models"]>)[path]
    : undefined;
  if (!paging) {
    const near = typeof path === "string" ? nearest(path, PAGED_PATHS) : undefined;
    throw new TypeError(
      `paginate: ${JSON.stringify(path)} is not a paged GET of the Rapidata API${
        near ? `. Did you mean "${near}"?` : ""
      }`,
    );
  }
  const options = optionsOf("paginate", args[0]) as PaginateOptions<P> & { query?: Record<string, unknown> };
  onlyKnown(options, OPTIONS, "paginate");
  checkNumber("paginate", "pageSize", options.pageSize, 1, true);
  if (options.limit !== Infinity) checkNumber("paginate", "limit", options.limit, 0, true);
  if (options.query !== undefined && (typeof options.query !== "object" || Array.isArray(options.query))) {
    misuse("paginate", "query", "must be an object of query parameters");
  }
  const [by, sizeName, itemsKey] = paging;
  for (const key of ["page", "page_size", "pageSize", "cursor"]) {
    if (options.query && Object.hasOwn(options.query, key)) {
      misuse("paginate", `query.${key}`, `is set by paginate${key.startsWith("page") ? ': use "pageSize"' : ""}`);
    }
  }
  if (options.pageSize !== undefined && sizeName === null) {
    misuse("paginate", "pageSize", `is not a parameter of ${path}`);
  }
  const { query, pageSize, limit = Infinity, ...request } = options;
  const where = `${path}`;

  async function* pages(): AsyncGenerator<Page<P>, void, undefined> {
    let page = 1;
    let cursor: string | undefined;
    let seen = 0;
    const sent = new Set<string>(); // the cursors asked for: one coming back would loop for ever
    while (seen < limit) {
      const paged: Record<string, unknown> = { ...query, [by]: by === "page" ? page : cursor };
      if (sizeName !== null) paged[sizeName] = pageSize;
      const answer = await (api.get as (path: string, options: object) => Promise<unknown>)(path, {
        ...request,
        query: paged,
      }) as Record<string, unknown> | null;
      const items = answer?.[itemsKey];
      if (!Array.isArray(items)) {
        throw new RapidataError("ERR_PAGINATION", `Rapidata API GET ${where} answered a page without "${itemsKey}"`);
      }
      const room = limit - seen;
      seen += Math.min(items.length, room);
      const last = items.length === 0 || isLast(answer!, page, sent);
      if (items.length > 0 || page === 1) {
        yield (items.length > room ? { ...answer, [itemsKey]: items.slice(0, room) } : answer) as Page<P>;
      }
      if (last) return;
      page++;
      cursor = answer!.nextCursor as string;
      sent.add(cursor);
    }
  }

  /** Whether the answer says it is the last page (so no request is made for the next). */
  function isLast(answer: Record<string, unknown>, page: number, sent: Set<string>): boolean {
    if (by === "cursor") {
      const next = answer.nextCursor;
      if (next === undefined || next === null || next === "") return true;
      if (typeof next !== "string") {
        throw new RapidataError(
          "ERR_PAGINATION",
          `Rapidata API GET ${where} answered a nextCursor that is not a string`,
        );
      }
      if (sent.has(next)) {
        throw new RapidataError(
          "ERR_PAGINATION",
          `Rapidata API GET ${where} answered the cursor ${JSON.stringify(next)} a second time`,
        );
      }
      return false;
    }
    const { totalPages, total, pageSize: size, page: answered } = answer;
    // A server that ignores the page asked for would answer the same page for ever.
    if (typeof answered === "number" && answered !== page) {
      throw new RapidataError("ERR_PAGINATION", `Rapidata API GET ${where} answered page ${answered} for page ${page}`);
    }
    if (typeof totalPages === "number") return page >= totalPages;
    if (typeof total === "number" && typeof size === "number" && size > 0) return page * size >= total;
    return false;
  }

  async function* items(): AsyncGenerator<PageItem<P>, void, undefined> {
    for await (const page of pages()) {
      for (const item of (page as Record<string, unknown>)[itemsKey] as PageItem<P>[]) {
        request.signal?.throwIfAborted(); // an abort ends the loop, also within a page already read
        yield item;
      }
    }
  }

  return { [Symbol.asyncIterator]: items, pages };
}
