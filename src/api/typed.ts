/**
 * The typed layer over a client's JSON helpers: path templates, parameters, bodies and answers typed
 * from the generated OpenAPI types, and at run time only path substitution and query serialisation.
 * Nothing here is bundled unless `@rapidata/fetch/api` is imported.
 *
 * @module
 */

import type { RapidataClient, RequestOptions } from "../client.ts";
import { isRapidataError, type RapidataApiError } from "../errors.ts";
import type { components, paths } from "../generated/rapidata_api.ts";

/**
 * The HTTP methods of the typed surface.
 *
 * @example
 * ```ts
 * import type { Method } from "@rapidata/fetch/api";
 * const method: Method = "get";
 * ```
 */
export type Method = "get" | "post" | "put" | "patch" | "delete";

/**
 * The operation the description declares for `method` on `path` (`never` if it declares none).
 *
 * @example
 * ```ts
 * import type { Operation } from "@rapidata/fetch/api";
 * type GetOrder = Operation<"get", "/order/{orderId}">;
 * ```
 */
export type Operation<M extends Method, P, Paths = paths> = P extends keyof Paths
  ? M extends keyof Paths[P] ? Exclude<Paths[P][M], undefined> : never
  : never;

/** Statuses whose answer is a result (everything else is a `RapidataApiError`). */
type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226 | "2XX";
/** The JSON type among a response's or request body's media types. */
type JsonOf<C> = {
  [K in keyof C]: K extends `${string}/json${string}` | `${string}+json${string}` ? C[K] : never;
}[keyof C];
/** Marks a 2xx answer that is not JSON (a file download): the JSON helpers cannot read it. */
interface NotJson {
  readonly "@rapidata/fetch: not JSON": true;
}
type AnswerOf<R> = R extends { content: infer C } ? [JsonOf<C>] extends [never] ? NotJson : JsonOf<C> : undefined;
type Responses<Op> = Op extends { responses: infer R } ? R : never;
type Success<Op> = {
  [S in keyof Responses<Op>]: S extends SuccessStatus ? AnswerOf<Responses<Op>[S]> : never;
}[keyof Responses<Op>];
type Failure<Op> = {
  [S in keyof Responses<Op>]: S extends SuccessStatus ? never
    : Responses<Op>[S] extends { content: infer C } ? JsonOf<C>
    : never;
}[keyof Responses<Op>];
/** Operations the JSON helpers can call: declared, and answering JSON or nothing. */
type Usable<Op> = [Op] extends [never] ? false : [Extract<Success<Op>, NotJson>] extends [never] ? true : false;

/**
 * Every path template that declares `method` and answers it with JSON (or no body): what the typed
 * client's `get`, `post`, … accept, with completion. File downloads are left out: use
 * `rapidata.fetch` for those.
 *
 * @example
 * ```ts
 * import type { ApiPath } from "@rapidata/fetch/api";
 * const path: ApiPath<"get"> = "/order/{orderId}";
 * ```
 */
export type ApiPath<M extends Method, Paths = paths> =
  & { [P in keyof Paths]-?: Usable<Operation<M, P, Paths>> extends true ? P : never }[keyof Paths]
  & string;

/**
 * The result of `method` on `path`: the declared 2xx JSON type, `undefined` for an answer without a
 * body (204).
 *
 * @example
 * ```ts
 * import type { ResponseBody } from "@rapidata/fetch/api";
 * type Orders = ResponseBody<"get", "/orders">; // { items, page, pageSize, total, … }
 * ```
 */
export type ResponseBody<M extends Method, P, Paths = paths> = Success<Operation<M, P, Paths>>;

/**
 * The error bodies `method` on `path` declares (its non-2xx JSON answers), e.g.
 * `ValidationProblemDetails` for a 400; `never` if it declares none.
 *
 * @example
 * ```ts
 * import type { ErrorBody } from "@rapidata/fetch/api";
 * type OrdersError = ErrorBody<"get", "/orders">; // ValidationProblemDetails
 * ```
 */
export type ErrorBody<M extends Method, P, Paths = paths> = Failure<Operation<M, P, Paths>>;

type BodyOf<C> = [JsonOf<C>] extends [never] ? "multipart/form-data" extends keyof C ? FormData
  : "application/x-www-form-urlencoded" extends keyof C ? URLSearchParams
  : Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>
  : JsonOf<C>;
type NoBody<Op> = Op extends { requestBody?: never } ? true : false;
type BodyRequired<Op> = Op extends { requestBody: object } ? true : false;

/**
 * The request body `method` on `path` takes: the declared JSON type (sent JSON-encoded), `FormData` for
 * `multipart/form-data`, `undefined` when it declares none.
 *
 * @example
 * ```ts
 * import type { RequestBody } from "@rapidata/fetch/api";
 * const body: RequestBody<"post", "/dataset"> = { name: "cats" };
 * ```
 */
export type RequestBody<M extends Method, P, Paths = paths> = Operation<M, P, Paths> extends infer Op
  ? NoBody<Op> extends true ? undefined
  : Op extends { requestBody?: { content: infer C } } ? BodyOf<C>
  : undefined
  : never;

type Params<Op> = Op extends { parameters: infer X } ? X : object;
/** The path parameters an operation declares (`never` without). @internal */
export type PathParams<Op> = Params<Op> extends { path: infer X } ? X : never;
/** The query parameters an operation declares (`never` without). @internal */
export type QueryParams<Op> = Params<Op> extends { query?: infer X } ? Exclude<X, undefined> : never;
type QueryRequired<Op> = Params<Op> extends { query: object } ? true : false;
type OptionsRequired<Op> = [PathParams<Op>] extends [never] ? QueryRequired<Op> : true;

/**
 * Options of one typed call: the core's `RequestOptions` (`headers`, `signal`, `deadline`,
 * `waitUntil`), `path` with exactly the declared path parameters (required when there are any), and
 * `query` with the declared query parameters. Filters declared as `style: deepObject` are objects:
 * `{ order_name: { contains: "cat" } }` is sent as `order_name[contains]=cat`.
 *
 * @example
 * ```ts
 * import type { TypedRequestOptions } from "@rapidata/fetch/api";
 * const options: TypedRequestOptions<"get", "/orders"> = {
 *   query: { page: 1, page_size: 20, order_name: { contains: "cat" }, sort: ["-order_date"] },
 * };
 * ```
 */
export type TypedRequestOptions<M extends Method, P, Paths = paths> = Options<Operation<M, P, Paths>>;
type Options<Op> =
  & Omit<RequestOptions, "query">
  & ([PathParams<Op>] extends [never] ? { path?: never } : { path: PathParams<Op> })
  & ([QueryParams<Op>] extends [never] ? { query?: never }
    : QueryRequired<Op> extends true ? { query: QueryParams<Op> }
    : { query?: QueryParams<Op> });

/** `[options]`, required when the operation has path parameters or a required query parameter. */
type OptionsArgs<Op> = OptionsRequired<Op> extends true ? [options: Options<Op>] : [options?: Options<Op>];
/** `[body, options]`: the body is required when declared required, or when options must follow it. */
type BodyArgs<Op, B> = OptionsRequired<Op> extends true
  ? [body: BodyRequired<Op> extends true ? B : B | undefined, options: Options<Op>]
  : BodyRequired<Op> extends true ? [body: B, options?: Options<Op>]
  : [body?: B, options?: Options<Op>];

/**
 * The typed surface of a client, from {@link typed}: the JSON helpers with `path` a path template of
 * the description, options typed by its parameters, `body` by its request body and the result by
 * its 2xx answer. A wrong path, a missing path parameter or a wrong body does not compile.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { typed, type TypedClient } from "@rapidata/fetch/api";
 *
 * const api: TypedClient = typed(createClient({ clientId: "id", clientSecret: "secret" }));
 * const order = await api.get("/order/{orderId}", { path: { orderId: "abc" } });
 * ```
 */
export interface TypedClient<Paths = paths> {
  /** GET `path` (a path template), parse the JSON answer; non-2xx throws `RapidataApiError`. */
  get<P extends ApiPath<"get", Paths>>(
    path: P,
    ...options: OptionsArgs<Operation<"get", P, Paths>>
  ): Promise<ResponseBody<"get", P, Paths>>;
  /** POST `body` (JSON-encoded, or `FormData` for multipart operations) to `path`. */
  post<P extends ApiPath<"post", Paths>>(
    path: P,
    ...args: BodyArgs<Operation<"post", P, Paths>, RequestBody<"post", P, Paths>>
  ): Promise<ResponseBody<"post", P, Paths>>;
  /** PUT, like {@link TypedClient.post}. */
  put<P extends ApiPath<"put", Paths>>(
    path: P,
    ...args: BodyArgs<Operation<"put", P, Paths>, RequestBody<"put", P, Paths>>
  ): Promise<ResponseBody<"put", P, Paths>>;
  /** PATCH, like {@link TypedClient.post}. */
  patch<P extends ApiPath<"patch", Paths>>(
    path: P,
    ...args: BodyArgs<Operation<"patch", P, Paths>, RequestBody<"patch", P, Paths>>
  ): Promise<ResponseBody<"patch", P, Paths>>;
  /** DELETE `path`, like {@link TypedClient.get}. */
  delete<P extends ApiPath<"delete", Paths>>(
    path: P,
    ...options: OptionsArgs<Operation<"delete", P, Paths>>
  ): Promise<ResponseBody<"delete", P, Paths>>;
  /** The client underneath: its `fetch`, `accessToken`, untyped helpers. */
  readonly client: RapidataClient;
}

/**
 * A schema of the description's `components.schemas`, by name.
 *
 * @example
 * ```ts
 * import type { Schema } from "@rapidata/fetch/api";
 * const input: Schema<"CreateDatasetEndpoint_Input"> = { name: "cats" };
 * ```
 */
export type Schema<N extends keyof components["schemas"]> = components["schemas"][N];

/**
 * An RFC 9457 problem, the body of most error answers of the Rapidata API.
 *
 * @example
 * ```ts
 * import type { ProblemDetails } from "@rapidata/fetch/api";
 * const problem: ProblemDetails = { status: 404, title: "Not Found" };
 * ```
 */
export type ProblemDetails = components["schemas"]["ProblemDetails"];

/**
 * A problem with field errors, the body of the API's 400 answers: `errors` maps a field to messages.
 *
 * @example
 * ```ts
 * import type { ValidationProblemDetails } from "@rapidata/fetch/api";
 * const problem: ValidationProblemDetails = { status: 400, errors: { Name: ["The Name field is required."] } };
 * ```
 */
export type ValidationProblemDetails = components["schemas"]["ValidationProblemDetails"];

/**
 * A `RapidataApiError` whose `details` is the problem the API answered with, as the description
 * declares its error answers: `ProblemDetails`, or `ValidationProblemDetails` (with `errors`).
 *
 * @example
 * ```ts
 * import type { ApiProblem } from "@rapidata/fetch/api";
 * const fieldsOf = (error: ApiProblem) => Object.keys("errors" in error.details ? error.details.errors ?? {} : {});
 * ```
 */
export type ApiProblem<D = ProblemDetails | ValidationProblemDetails> = RapidataApiError & { readonly details: D };

/**
 * True for a `RapidataApiError` from a non-2xx answer whose body was a JSON object, which then has
 * the type the description declares for error answers. Works across bundles (it compares `name`).
 * Answers without a body (401, 403) give `false`.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { isApiProblem, typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "id", clientSecret: "secret" }));
 * try {
 *   await api.post("/dataset", { name: "" });
 * } catch (error) {
 *   if (isApiProblem(error) && "errors" in error.details) console.error(error.status, error.details.errors);
 * }
 * ```
 */
export function isApiProblem(error: unknown): error is ApiProblem {
  if (!isRapidataError(error) || error.name !== "RapidataApiError" || error.code !== "ERR_API_RESPONSE") return false;
  const details = (error as RapidataApiError).details;
  return typeof details === "object" && details !== null && !Array.isArray(details);
}

const SCALARS = ["string", "number", "boolean", "bigint"];

/** The template with each `{name}` replaced by its URL-encoded value. */
function fillPath(template: string, params: unknown): string {
  return template.replace(/\{([^}]*)\}/g, (_, name: string) => {
    const own = params !== null && typeof params === "object" && Object.hasOwn(params, name);
    const value = own ? (params as Record<string, unknown>)[name] : undefined;
    if (value === undefined || value === null) throw new TypeError(`${template}: missing path parameter "${name}"`);
    if (!SCALARS.includes(typeof value)) {
      throw new TypeError(`${template}: path parameter "${name}" must be a string or a number`);
    }
    const text = String(value);
    // "", "." and ".." would name another resource once the URL is normalised.
    if (text === "" || text === "." || text === "..") {
      throw new TypeError(`${template}: path parameter "${name}" must not be "${text}"`);
    }
    try {
      return encodeURIComponent(text);
    } catch {
      throw new TypeError(`${template}: path parameter "${name}" is not well-formed Unicode`);
    }
  });
}

/**
 * `?…` for a query object: scalars as `key=value`, arrays as repeated keys, plain objects (OpenAPI
 * `style: deepObject, explode: true`) as `key[field]=value` (an array field as repeated
 * `key[field]=value`); `null` / `undefined` are left out. Brackets stay literal, as the OpenAPI
 * examples write them; names and values are percent-encoded.
 */
function serializeQuery(query: unknown): string {
  if (query === undefined || query === null) return "";
  if (typeof query !== "object") throw new TypeError(`"query" must be an object`);
  if (query instanceof URLSearchParams) return String(query) ? `?${query}` : "";
  const pairs: string[] = [];
  const add = (key: string, value: unknown, field: string) => {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      if (!SCALARS.includes(typeof item)) {
        throw new TypeError(`"query.${field}" must be a string, number, boolean, bigint or an array of them`);
      }
      pairs.push(`${key}=${encodeURIComponent(String(item))}`);
    }
  };
  for (const [name, value] of Object.entries(query)) {
    const prototype = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
    if (prototype === Object.prototype || prototype === null) {
      for (const [field, inner] of Object.entries(value as object)) {
        add(`${encodeURIComponent(name)}[${encodeURIComponent(field)}]`, inner, `${name}.${field}`);
      }
    } else {
      add(encodeURIComponent(name), value, name);
    }
  }
  return pairs.length > 0 ? `?${pairs.join("&")}` : "";
}

/** What the typed methods receive at run time (their types are {@link TypedClient}'s). */
type LooseOptions = Omit<RequestOptions, "query"> & { path?: unknown; query?: unknown };

/**
 * The typed surface of a client: `get`, `post`, `put`, `patch`, `delete` as the client's JSON helpers,
 * with `path` a path template of the Rapidata API (`"/order/{orderId}"`) and `options.path` its
 * parameters. At run time this is the client's helpers plus path substitution (`encodeURIComponent`)
 * and query serialisation (deepObject filters as `name[field]=value`); no schema, no validation.
 * A missing path parameter rejects with a `TypeError` naming it, before any request; errors of the
 * API are the core's `RapidataApiError` (see {@link isApiProblem}).
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const orders = await api.get("/orders", { query: { page: 1, order_name: { contains: "cats" } } });
 * const order = await api.get("/order/{orderId}", { path: { orderId: orders.items[0]!.id } });
 * const { datasetId } = await api.post("/dataset", { name: "cats" });
 * ```
 */
export function typed<Paths = paths>(client: RapidataClient): TypedClient<Paths> {
  if (typeof client?.get !== "function" || typeof client.post !== "function") {
    throw new TypeError("typed: expects a client from createClient");
  }
  const target = (template: unknown, options: LooseOptions = {}): [string, RequestOptions] => {
    if (typeof template !== "string" || !template.startsWith("/")) {
      throw new TypeError(`typed: the path must be a path template starting with "/"`);
    }
    const { path, query, ...rest } = options;
    return [fillPath(template, path) + serializeQuery(query), rest];
  };
  // Async, so that a bad path or query rejects the returned promise as the core's helpers do.
  const withBody =
    (method: "post" | "put" | "patch") => async (path: string, body?: unknown, options?: LooseOptions) => {
      const [url, rest] = target(path, options);
      return await client[method](url, body, rest);
    };
  const api = {
    get: async (path: string, options?: LooseOptions) => await client.get(...target(path, options)),
    post: withBody("post"),
    put: withBody("put"),
    patch: withBody("patch"),
    delete: async (path: string, options?: LooseOptions) => await client.delete(...target(path, options)),
    client,
  };
  return Object.freeze(api) as unknown as TypedClient<Paths>;
}
