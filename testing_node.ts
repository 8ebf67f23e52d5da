/**
 * `@rapidata/fetch/testing/node`: the stand-in of Rapidata over real HTTP on loopback, for tests and
 * demos on Node, Deno and Bun (it uses `node:http`). `@rapidata/fetch/testing` has the stand-in itself,
 * which runs everywhere, also as a client's `fetch` with no server.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { serveStandIn } from "@rapidata/fetch/testing/node";
 *
 * const { url, standIn, close } = await serveStandIn();
 * const rapidata = createClient({ ...standIn.addClient(), apiUrl: url, authUrl: url });
 * console.log(await rapidata.get("/orders"));
 * await close();
 * ```
 *
 * @module
 */

export { type Handler, serve, type Served, type ServedStandIn, serveStandIn } from "./node/serve.ts";
