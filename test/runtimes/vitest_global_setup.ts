/**
 * vitest global setup: one stand-in of Rapidata served on two loopback ports. The first is the API and
 * auth origin; the second is "another host" (same handler, different origin) for origin and redirect tests.
 */
import type { TestProject } from "vitest/node";
import { createStandIn } from "../../src/testing/mod.ts";
import { serve, type Served } from "../support/node_server.ts";

let servers: Served[] = [];

export async function setup(project: TestProject): Promise<void> {
  const standIn = createStandIn();
  servers = [await serve(standIn.fetch), await serve(standIn.fetch)];
  project.provide("standInUrl", servers[0]!.url);
  project.provide("otherOriginUrl", servers[1]!.url);
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
}
