import { fromEnv } from "@rapidata/fetch";

// Reads RAPIDATA_CLIENT_ID, RAPIDATA_CLIENT_SECRET and RAPIDATA_ENVIRONMENT from the environment.
const rapidata = fromEnv();
const orders = await rapidata.get<{ items: { id: string }[] }>("/orders", { query: { page: 1 } });
console.log(JSON.stringify({ orders: orders.items.map((order) => order.id) }));
