import { createClient } from "@rapidata/fetch/node";

// Credentials as Rapidata's Python SDK finds them: RAPIDATA_CLIENT_ID / RAPIDATA_CLIENT_SECRET,
// RAPIDATA_TOKEN_FILE, or ~/.config/rapidata/credentials.json (written by `npx @rapidata/fetch login`).
const rapidata = createClient();
const orders = await rapidata.get("/orders", { query: { page: 1 } });
console.log(JSON.stringify({ orders: orders.items.length }));
