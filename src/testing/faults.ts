/**
 * Fault modes of the stand-in: scripted misbehaviour of the token endpoint or the API, per client,
 * consumed in order (one per request) before normal service resumes.
 *
 * @module
 */

/** One scripted misbehaviour. */
export type Fault =
  /** Answer with this status, headers and body instead of the real answer. */
  | { status: number; headers?: Record<string, string>; body?: string; times?: number }
  /** The connection drops before any answer: `fetch` rejects with a `TypeError`. */
  | { kind: "reset"; times?: number }
  /** Status and headers arrive, then the connection drops in the middle of the body. */
  | { kind: "reset-mid-body"; status?: number; times?: number }
  /** A 200 whose JSON body never ends: a chunk every few milliseconds until the request is aborted. */
  | { kind: "endless-body"; times?: number }
  /** Answer normally, but only after `ms` milliseconds (or when the request is aborted). */
  | { kind: "delay"; ms: number; times?: number };

/** Faults for one client. `times` repeats a fault (default 1; `Infinity` or -1 for always). */
export interface FaultPlan {
  /** Faults of `POST /connect/token` for this client. */
  token?: Fault[];
  /** Faults of API calls made with this client's tokens. */
  api?: Fault[];
}

/** Thrown by the stand-in's fetch to simulate a dropped connection. @internal */
export class StandInReset extends TypeError {
  constructor() {
    super("stand-in: connection reset by peer");
  }
}

/** Takes the next fault off a queue, honouring `times`. @internal */
export function nextFault(queue: Fault[] | undefined): Fault | undefined {
  const fault = queue?.[0];
  if (!fault) return undefined;
  const times = fault.times === -1 ? Infinity : fault.times ?? 1;
  if (times <= 1) queue!.shift();
  else queue![0] = { ...fault, times: times - 1 };
  return fault;
}

/**
 * Plays `fault` for `request`. Resolves to a response to send instead of the real one, or to
 * `undefined` when the real answer should follow (after a delay). @internal
 */
export async function playFault(fault: Fault, request: Request): Promise<Response | undefined> {
  if ("status" in fault && !("kind" in fault)) {
    return new Response(fault.body ?? null, { status: fault.status, headers: fault.headers });
  }
  switch (fault.kind) {
    case "reset":
      throw new StandInReset();
    case "reset-mid-body": {
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent) return controller.error(new StandInReset());
          sent = true;
          controller.enqueue(new TextEncoder().encode('{"items":[{"id":'));
        },
      });
      return new Response(body, { status: fault.status ?? 200, headers: { "content-type": "application/json" } });
    }
    case "endless-body": {
      const chunk = new TextEncoder().encode("1,");
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("["));
          request.signal.addEventListener("abort", () => controller.error(request.signal.reason), { once: true });
        },
        pull: (controller) =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              if (!request.signal.aborted) controller.enqueue(chunk);
              resolve();
            }, 5)
          ),
      }, { highWaterMark: 0 });
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
    }
    case "delay":
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fault.ms);
        request.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      return undefined;
  }
}
