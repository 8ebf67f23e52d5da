/**
 * Serving a fetch handler, such as the stand-in's, on 127.0.0.1 over real HTTP (Node, and Deno and Bun
 * through their `node:http`): `@rapidata/fetch/testing/node`. Not part of the Web-only core.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createStandIn, type StandIn, type StandInOptions } from "../src/testing/stand_in.ts";

/** A running loopback server. */
export interface Served {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops the server and closes open connections. */
  close(): Promise<void>;
}

/** A fetch handler: a `Request` in, a `Response` out. */
export type Handler = (request: Request) => Promise<Response>;

async function toRequest(req: IncomingMessage, signal: AbortSignal): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array<ArrayBuffer>);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? new Blob(chunks) : undefined,
    signal,
  });
}

async function write(res: ServerResponse, response: Response): Promise<void> {
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  res.writeHead(response.status, headers.flat());
  res.flushHeaders(); // a body that fails later must fail after the headers, as on a real server
  const reader = response.body?.getReader();
  // Backpressure: the next chunk is read only once the socket took the last one, and a client that
  // goes away cancels the body (an endless body is never made faster than it is read).
  const gone = new Promise<void>((resolve) => res.once("close", resolve));
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    if (res.destroyed) {
      await reader.cancel().catch(() => {});
      break;
    }
    if (!res.write(value)) await Promise.race([new Promise((resolve) => res.once("drain", resolve)), gone]);
  }
  res.end();
}

/**
 * Serves `handler` on 127.0.0.1 (`port` 0 picks a free one).
 *
 * @example
 * ```ts
 * import { createStandIn } from "@rapidata/fetch/testing";
 * import { serve } from "@rapidata/fetch/testing/node";
 *
 * const standIn = createStandIn();
 * const server = await serve(standIn.fetch);
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.close();
 * ```
 */
export function serve(handler: Handler, port = 0): Promise<Served> {
  const server = createServer((req, res) => {
    // The request's signal aborts when the client goes away before the answer is complete.
    const controller = new AbortController();
    res.once("close", () => res.writableFinished || controller.abort());
    toRequest(req, controller.signal).then(handler).then((response) => write(res, response)).catch(() => res.destroy());
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A stand-in served on loopback: its URL (API and auth base), the stand-in itself, and how to stop it. */
export interface ServedStandIn extends Served {
  /** The stand-in: `addClient`, `stats`, `holdTokens`, `revokeTokens`, … */
  readonly standIn: StandIn;
}

/**
 * Creates a stand-in of Rapidata and serves it on 127.0.0.1 on a free port (`port` to choose one).
 * Point clients at it with `apiUrl` and `authUrl` (or `RAPIDATA_API_URL` / `RAPIDATA_AUTH_URL`).
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
 */
export async function serveStandIn(options: StandInOptions & { port?: number } = {}): Promise<ServedStandIn> {
  const { port, ...standInOptions } = options; // createStandIn names a misspelt option
  const standIn = createStandIn(standInOptions);
  const served = await serve(standIn.fetch, port);
  return { ...served, standIn };
}
