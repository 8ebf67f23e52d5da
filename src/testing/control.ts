/**
 * The stand-in's control routes under `/__stand-in/`, so tests in any runtime (workerd included) can
 * drive a stand-in served elsewhere over plain HTTP. They use only the stand-in's public methods.
 *
 * @module
 */

import type { FaultPlan } from "./faults.ts";
import { bodyText, json } from "./http.ts";
import type { StandIn } from "./stand_in.ts";

/** Endless bodies still streaming, per stand-in. */
const streaming = new WeakMap<StandIn, Set<string>>();
/** Releases of held token responses, per stand-in and client. */
const releases = new WeakMap<StandIn, Map<string, () => void>>();

/** Answers one `/__stand-in/<action>` request. @internal */
export async function control(standIn: StandIn, request: Request, url: URL): Promise<Response> {
  const action = url.pathname.slice("/__stand-in/".length);
  const clientId = url.searchParams.get("client_id") ?? "";
  const ok = () => json(200, { ok: true });
  switch (action) {
    case "echo": {
      const status = Number(url.searchParams.get("status") ?? "200");
      if (status === 204) return new Response(null, { status });
      const body = request.method === "GET" || request.method === "HEAD" ? "" : await bodyText(request);
      const headers = Object.fromEntries(request.headers);
      return json(status, { method: request.method, url: request.url, headers, body });
    }
    case "endless": {
      // A body that never ends (no auth needed), counted while it streams: `?id=` names it, and
      // `?id=…&open` answers whether it still streams.
      const id = url.searchParams.get("id") ?? "";
      const open = streaming.get(standIn) ?? new Set<string>();
      streaming.set(standIn, open);
      if (url.searchParams.has("open")) return json(200, { open: open.has(id) });
      open.add(id);
      const end = () => void open.delete(id);
      request.signal.addEventListener("abort", end, { once: true });
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(new TextEncoder().encode("[")),
        pull: (controller) =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              if (open.has(id)) controller.enqueue(new TextEncoder().encode("1,"));
              resolve();
            }, 5)
          ),
        cancel: end,
      }, { highWaterMark: 0 });
      return new Response(body, { headers: { "content-type": "application/json" } });
    }
    case "redirect": {
      const to = url.searchParams.get("to") ?? "/";
      return new Response(null, { status: Number(url.searchParams.get("status") ?? "302"), headers: { location: to } });
    }
    case "clients": {
      const text = await bodyText(request);
      // Every field over HTTP (JSON leaves out what is not enumerable).
      const { clientId, clientSecret, scopes, tokenLifetime, omitExpiresIn } = standIn.addClient(
        text ? JSON.parse(text) : {},
      );
      return json(200, { clientId, clientSecret, scopes, tokenLifetime, omitExpiresIn });
    }
    case "stats":
      return json(200, standIn.stats(clientId || undefined));
    case "bridge":
      return json(200, standIn.bridgeStats());
    case "progress": {
      const seen = standIn.progress(url.searchParams.get("id") ?? "");
      return seen ? json(200, seen) : json(404, { error: "unknown job or order" });
    }
    case "asset": {
      const stored = standIn.asset(url.searchParams.get("file_name") ?? "");
      return stored ? json(200, stored) : json(404, { error: "unknown file" });
    }
  }
  try {
    switch (action) {
      case "revoke":
        standIn.revokeTokens(clientId);
        return ok();
      case "hold": {
        let held = releases.get(standIn);
        if (!held) releases.set(standIn, held = new Map());
        held.set(clientId, standIn.holdTokens(clientId));
        return ok();
      }
      case "release":
        releases.get(standIn)?.get(clientId)?.();
        return ok();
      case "jobs":
      case "orders": {
        const text = await bodyText(request);
        const script = text ? JSON.parse(text) : {};
        return json(200, { id: action === "jobs" ? standIn.addJob(script) : standIn.addOrder(script) });
      }
      case "faults":
        standIn.injectFaults(clientId, JSON.parse(await bodyText(request)) as FaultPlan);
        return ok();
    }
  } catch (error) {
    return json(404, { error: (error as Error).message });
  }
  return json(404, { error: `unknown control ${action}` });
}
