/** Deno: the stand-in served by Deno.serve on loopback, node:test as the runner. */
import { after, before, describe, it } from "node:test";
import { createStandIn } from "../../src/testing/mod.ts";
import type { Harness } from "../support/harness.ts";

const standIn = createStandIn();
const servers = [0, 1].map(() => Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, standIn.fetch));
for (const server of servers) server.unref();
const url = (server: Deno.HttpServer<Deno.NetAddr>) => `http://127.0.0.1:${server.addr.port}`;

const harness: Harness = {
  describe: (name, body) => void describe(name, body),
  it: (name, body) => void it(name, async () => await body()),
  beforeAll: (body) => void before(body),
  afterAll: (body) => void after(body),
  standInUrl: url(servers[0]!),
  otherOriginUrl: url(servers[1]!),
  runtime: "deno",
  inspect: (value) => Deno.inspect(value, { depth: 10, showHidden: true }),
};
(globalThis as { rapidataHarness?: Harness }).rapidataHarness = harness;
