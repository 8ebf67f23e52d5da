/**
 * The in-process benchmark inside workerd: raw fetch vs the client, with a fetch that returns a ready
 * Response (the clients get it as the platform's fetch). "raw fetch + 30 s timeout signal" is raw fetch
 * given what the client gives each attempt by default (an AbortController's signal and a timer).
 */
import { createClient } from "../mod.ts";
import { ready, withTimeoutSignal } from "./ready.ts";

// The clients get the ready Response as the platform's fetch, as a Worker runs them.
globalThis.fetch = ready as typeof fetch;
const rapidata = createClient({ clientId: "bench", clientSecret: "bench-secret" });
/** Without a timeout (an older build refuses the option: those rows are left out). */
const untimed = (() => {
  try {
    return createClient({ clientId: "bench", clientSecret: "bench-secret", timeout: false });
  } catch {
    return undefined;
  }
})();

export default {
  async fetch(request: Request): Promise<Response> {
    const n = Number(new URL(request.url).searchParams.get("n") ?? "2000");
    const cases: Record<string, () => Promise<unknown>> = {
      "raw fetch (ready Response)": () => ready("https://api.rapidata.ai/orders").then((r) => r.text()),
      "raw fetch + 30 s timeout signal": () =>
        withTimeoutSignal(ready, "https://api.rapidata.ai/orders").then((r) => r.text()),
      "@rapidata/fetch fetch": () => rapidata.fetch("/orders").then((r) => r.text()),
      "@rapidata/fetch get": () => rapidata.get("/orders"),
    };
    if (untimed) {
      cases["@rapidata/fetch fetch, timeout: false"] = () => untimed.fetch("/orders").then((r) => r.text());
      cases["@rapidata/fetch get, timeout: false"] = () => untimed.get("/orders");
    }
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
