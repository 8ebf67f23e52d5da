/** The in-process benchmark inside workerd: raw fetch vs the client, with a fetch that returns a ready Response. */
import { createClient } from "../mod.ts";

const tokenBody = JSON.stringify({ access_token: "a.b.c", token_type: "Bearer", expires_in: 3600 });
const ready = (input: string | URL | Request) =>
  Promise.resolve(
    String(input).endsWith("/connect/token")
      ? new Response(tokenBody, { headers: { "content-type": "application/json" } })
      : new Response('{"ok":true}', { headers: { "content-type": "application/json" } }),
  );
const rapidata = createClient({ clientId: "bench", clientSecret: "bench-secret", fetch: ready });

export default {
  async fetch(request: Request): Promise<Response> {
    const n = Number(new URL(request.url).searchParams.get("n") ?? "2000");
    const cases: Record<string, () => Promise<unknown>> = {
      raw: () => ready("https://api.rapidata.ai/orders").then((r) => r.text()),
      fetch: () => rapidata.fetch("/orders").then((r) => r.text()),
      get: () => rapidata.get("/orders"),
    };
    const result: Record<string, number> = {};
    for (const [name, run] of Object.entries(cases)) {
      await run();
      // workerd's clock only advances on I/O: a trivial fetch to nowhere is avoided, so measure with
      // the I/O of a scheduler tick before and after.
      await scheduler.wait(1);
      const start = Date.now();
      for (let i = 0; i < n; i++) await run();
      await scheduler.wait(1);
      result[name] = ((Date.now() - start - 1) / n) * 1e6; // ns per op
    }
    return Response.json(result);
  },
};

declare const scheduler: { wait(ms: number): Promise<void> };
