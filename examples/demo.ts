/**
 * `npm start`: the client against the built-in local stand-in of Rapidata, on loopback.
 * Shows many API calls (a concurrent burst included) served with one token request.
 */
import { createClient, DEFAULT_SCOPE, RapidataApiError } from "../mod.ts";
import { createStandIn, decodeJwt } from "../src/testing/mod.ts";
import { serve } from "../src/testing/node_server.ts";

const standIn = createStandIn();
const { clientId, clientSecret } = standIn.addClient({ clientId: "demo-client" });
const server = await serve(standIn.fetch);

try {
  const rapidata = createClient({ clientId, clientSecret, apiUrl: server.url, authUrl: server.url });
  console.log(`Rapidata stand-in on ${server.url}, scope "${DEFAULT_SCOPE}"`);

  // A cold burst: 50 concurrent calls share one token request.
  const pages = await Promise.all(
    Array.from({ length: 50 }, (_, i) => rapidata.get<{ items: unknown[] }>("/orders", { query: { page: (i % 3) + 1 } })),
  );
  const order = await rapidata.get<{ id: string; orderName: string }>("/order/order-1");
  const dataset = await rapidata.post<{ datasetId: string }>("/dataset", { name: "demo" });
  const missing = await rapidata.get("/order/does-not-exist").catch((error: unknown) => error);

  const claims = decodeJwt(await rapidata.accessToken()) ?? {};
  const stats = standIn.stats(clientId);
  console.log(`  ${pages.length} concurrent GET /orders, then GET /order/${order.id}, POST /dataset -> ${dataset.datasetId}`);
  if (missing instanceof RapidataApiError) {
    console.log(`  GET /order/does-not-exist -> RapidataApiError ${missing.status} (trace ${missing.traceId})`);
  }
  console.log(`  API calls made:     ${stats.apiCalls}`);
  console.log(`  token requests:     ${stats.tokenRequests}`);
  console.log(`  token audience:     ${JSON.stringify(claims.aud)}`);
  if (stats.tokenRequests !== 1) throw new Error(`expected 1 token request, saw ${stats.tokenRequests}`);
} finally {
  await server.close();
}
