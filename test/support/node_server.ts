/**
 * Node-only helper (also runs on Deno and Bun through their `node:http`): serves a fetch handler,
 * such as the stand-in's, on 127.0.0.1 for tests and demos that need real HTTP. Not part of the
 * Web-only core.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A running loopback server. */
export interface Served {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops the server and closes open connections. */
  close(): Promise<void>;
}

type Handler = (request: Request) => Promise<Response>;

async function toRequest(req: IncomingMessage): Promise<Request> {
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
  });
}

async function write(res: ServerResponse, response: Response): Promise<void> {
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  res.writeHead(response.status, headers.flat());
  res.flushHeaders(); // a body that fails later must fail after the headers, as on a real server
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done || res.destroyed) break;
    res.write(value);
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
    toRequest(req).then(handler).then((response) => write(res, response)).catch(() => res.destroy());
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
