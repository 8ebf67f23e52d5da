/**
 * A minimal API on 127.0.0.1 in its own process, for the overhead benchmark: every request is answered
 * at once with the same small JSON page (no token check, nothing computed), so that the client's
 * share of each call is what the benchmark sees. Prints its URL.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const page = JSON.stringify({ total: 1, page: 1, pageSize: 10, items: [{ id: "order-1" }], totalPages: 1 });
const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(page) });
    response.end(page);
  });
});
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.stdin.resume();
process.stdin.on("end", () => server.close(() => process.exit(0)));
