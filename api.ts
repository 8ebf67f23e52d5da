/**
 * `@rapidata/fetch/api`: the Rapidata API, typed. Types generated from Rapidata's OpenAPI description
 * (`paths`, `components`, `operations`) and {@link typed}, which gives a client's JSON helpers typed
 * path templates, parameters, bodies and results. At run time it adds only path substitution and
 * query serialisation; a Worker that does not import this entry bundles none of it.
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
} from "./src/api.ts";
export type { components, operations, paths } from "./src/generated/rapidata_api.ts";
