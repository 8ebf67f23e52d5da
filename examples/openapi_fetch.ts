import { fromEnv } from "@rapidata/fetch";
import type { paths } from "@rapidata/fetch/api";
import createFetchClient from "openapi-fetch";

// openapi-fetch on the generated types; every request goes through the client's authenticated fetch.
const rapidata = fromEnv();
const client = createFetchClient<paths>({ baseUrl: rapidata.apiUrl, fetch: rapidata.fetch });
const { data, response } = await client.GET("/orders", { params: { query: { page: 1, state: { eq: "Completed" } } } });
if (!data) throw new Error(`GET /orders answered HTTP ${response.status}`);
console.log(JSON.stringify({ orders: data.items.map((order) => order.id) }));
