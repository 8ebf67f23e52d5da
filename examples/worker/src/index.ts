import { fromEnv, type RapidataClient } from "@rapidata/fetch";

// Built once per isolate: every request this isolate serves shares the client's token cache.
let rapidata: RapidataClient | undefined;

export default {
  async fetch(_request: Request, env: Record<string, string>): Promise<Response> {
    rapidata ??= fromEnv(env);
    const orders = await rapidata.get<{ items: { id: string }[] }>("/orders", { query: { page: 1 } });
    return Response.json({ orders: orders.items.map((order) => order.id) });
  },
};
