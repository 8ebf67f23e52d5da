/** Serves the stand-in on 127.0.0.1 in its own process and prints its URL (for load and benchmarks). */
import { createStandIn } from "../src/testing/mod.ts";
import { serve } from "../test/support/node_server.ts";

const server = await serve(createStandIn().fetch);
console.log(server.url);
process.stdin.resume();
process.stdin.on("end", () => server.close().then(() => process.exit(0)));
