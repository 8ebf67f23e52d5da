/**
 * Waiting for jobs and orders: poll with growing, jittered waits until Completed; states that never
 * complete on their own (Failed, Cancelled; ManualApproval, SpendLimited, ManualReview) end the wait
 * with a typed error; StaleResults is regenerated once, as Rapidata's Python SDK does.
 *
 * @module
 */

import { RapidataError } from "../errors.ts";
import { onlyKnown } from "../internal/known.ts";
import { checkPollOptions, optionsOf, type PollOptions, startPolling } from "./poll.ts";
import type { Schema, TypedClient } from "./typed.ts";

/** A job as `GET /job/{jobId}` answers it. */
export type Job = Schema<"GetJobByIdEndpoint_Output">;
/** An order as `GET /order/{orderId}` answers it. */
export type Order = Schema<"GetOrderByIdEndpoint_Output">;
/** The states of a job. */
export type JobState = Schema<"AudienceJobState">;
/** The states of an order (the API may add more: any other string is waited on). */
export type OrderState = Schema<"OrderState">;

/** What ends a wait for good, by state. */
const FAILED = ["Failed", "Cancelled"];
const BLOCKED = ["ManualApproval", "SpendLimited", "ManualReview"];

/**
 * A wait for a job or an order ended without a result: `ERR_WAIT_FAILED` (Failed, Cancelled),
 * `ERR_WAIT_BLOCKED` (ManualApproval, SpendLimited, ManualReview: a person must act) or
 * `ERR_WAIT_TIMEOUT` (the wait's `timeout`). `state` is the last state seen.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { RapidataWaitError, typed, waitForJob } from "@rapidata/fetch/api";
 * const api = typed(createClient({ clientId: "id", clientSecret: "secret" }));
 * try {
 *   await waitForJob(api, "job-id", { timeout: 600_000 });
 * } catch (error) {
 *   if (error instanceof RapidataWaitError && error.code === "ERR_WAIT_BLOCKED") console.error(error.state);
 * }
 * ```
 */
export class RapidataWaitError extends RapidataError {
  /** What was waited for. */
  declare readonly kind: "job" | "order" | "batch upload";
  /** The job's or order's id (the batch upload ids, comma-separated). */
  declare readonly id: string;
  /** The last state seen (`undefined` if the wait timed out before the first answer). */
  declare readonly state: string | undefined;
  /** The API's failure message, when it gives one. */
  declare readonly failureMessage: string | undefined;
  /** Why a job waits for review (`reviewReason`), when the API gives one. */
  declare readonly reviewReason: string | undefined;

  /** @internal */
  constructor(
    code: "ERR_WAIT_FAILED" | "ERR_WAIT_BLOCKED" | "ERR_WAIT_TIMEOUT",
    message: string,
    fields: {
      kind: "job" | "order" | "batch upload";
      id: string;
      state?: string;
      failureMessage?: string;
      reviewReason?: string;
    },
  ) {
    super(code, message);
    this.name = "RapidataWaitError";
    this.kind = fields.kind;
    this.id = fields.id;
    this.state = fields.state;
    this.failureMessage = fields.failureMessage ?? undefined;
    this.reviewReason = fields.reviewReason ?? undefined;
  }
}

/**
 * Options of {@link waitForJob} and {@link waitForOrder}.
 *
 * @example
 * ```ts
 * import type { WaitOptions } from "@rapidata/fetch/api";
 * const options: WaitOptions<"Running" | "Completed"> = { interval: 2_000, timeout: 3_600_000, onProgress: console.log };
 * ```
 */
export interface WaitOptions<State = string, Entity = unknown> extends PollOptions {
  /** Called after each poll with the state (and the whole answer); what it throws ends the wait. @default undefined */
  onProgress?: (state: State, entity: Entity) => void;
}

/**
 * One look at a job or an order, from {@link checkJob} / {@link checkOrder}: `done` when Completed;
 * `regenerated` when this look found StaleResults and asked for new results.
 *
 * @example
 * ```ts
 * import type { Check, Job } from "@rapidata/fetch/api";
 * const waiting = (check: Check<Job>) => !check.done;
 * ```
 */
export interface Check<Entity> {
  /** The job or order is Completed: `entity` is final. */
  readonly done: boolean;
  /** Its state now. */
  readonly state: string;
  /** The answer of `GET /job/{jobId}` or `GET /order/{orderId}`. */
  readonly entity: Entity;
  /** This look found StaleResults and triggered regeneration (`POST …/retry`). */
  readonly regenerated: boolean;
}

/**
 * Options of {@link checkJob} / {@link checkOrder}.
 *
 * @example
 * ```ts
 * import type { CheckOptions } from "@rapidata/fetch/api";
 * const options: CheckOptions = { regenerate: false };
 * ```
 */
export interface CheckOptions {
  /** On StaleResults, trigger regeneration (`POST …/retry`); pass `false` once it was. @default true */
  regenerate?: boolean;
  /** Cancels the look. @default undefined */
  signal?: AbortSignal;
}

type Kind = "job" | "order";

function checkId(where: string, id: unknown): asserts id is string {
  if (typeof id !== "string" || id === "") throw new TypeError(`${where}: the id must be a non-empty string`);
}

function checkApi(where: string, api: TypedClient | undefined): void {
  if (typeof api?.get !== "function" || typeof api.post !== "function") {
    throw new TypeError(`${where}: expects a typed client: ${where}(typed(createClient(…)), id)`);
  }
}

/** One poll: GET the entity, regenerate stale results if asked, throw for states that end the wait. */
async function look(
  api: TypedClient,
  kind: Kind,
  id: string,
  regenerate: boolean,
  signal: AbortSignal | undefined,
  seen?: (state: string, entity: Job | Order) => void,
): Promise<Check<Job | Order>> {
  const path = kind === "job" ? "/job/{jobId}" : "/order/{orderId}";
  const params = kind === "job" ? { jobId: id } : { orderId: id };
  const entity = await (api.get as (path: string, options: object) => Promise<Job | Order>)(path, {
    path: params,
    signal,
  });
  const state = entity?.state;
  if (typeof state !== "string") {
    throw new RapidataError("ERR_API_BODY", `Rapidata API GET /${kind}/${id} answered without a state`);
  }
  seen?.(state, entity); // before any outcome: the last state is heard too
  const fields = {
    kind,
    id,
    state,
    failureMessage: entity.failureMessage ?? undefined,
    reviewReason: (entity as Job).reviewReason ?? undefined,
  };
  const said = fields.failureMessage ? `: ${fields.failureMessage}` : "";
  if (FAILED.includes(state)) {
    throw new RapidataWaitError("ERR_WAIT_FAILED", `Rapidata ${kind} ${id} is ${state}${said}`, fields);
  }
  if (BLOCKED.includes(state)) {
    const reason = fields.reviewReason ? ` (${fields.reviewReason})` : "";
    throw new RapidataWaitError(
      "ERR_WAIT_BLOCKED",
      `Rapidata ${kind} ${id} is ${state}${reason}: a person must act before it can complete${said}`,
      fields,
    );
  }
  const regenerated = state === "StaleResults" && regenerate;
  if (regenerated) {
    await (api.post as (path: string, body: undefined, options: object) => Promise<unknown>)(
      `${path}/retry`,
      undefined,
      {
        path: params,
        signal,
      },
    );
  }
  return { done: state === "Completed", state, entity, regenerated };
}

async function check(kind: Kind, where: string, api: TypedClient, id: string, given?: CheckOptions) {
  checkApi(where, api);
  checkId(where, id);
  const options = optionsOf(where, given);
  onlyKnown(options, ["regenerate", "signal"], where);
  if (options.regenerate !== undefined && typeof options.regenerate !== "boolean") {
    throw new TypeError(`${where}: "regenerate" must be a boolean`);
  }
  return await look(api, kind, id, options.regenerate !== false, options.signal);
}

async function wait(kind: Kind, where: string, api: TypedClient, id: string, given?: WaitOptions<string, never>) {
  checkApi(where, api);
  checkId(where, id);
  const options = optionsOf(where, given);
  onlyKnown(options, ["interval", "timeout", "signal", "onProgress"], where);
  checkPollOptions(where, options);
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new TypeError(`${where}: "onProgress" must be a function`);
  }
  let state: string | undefined;
  const poller = startPolling(options, () =>
    new RapidataWaitError(
      "ERR_WAIT_TIMEOUT",
      `Rapidata ${kind} ${id} was not Completed within ${options.timeout} ms (last state: ${state ?? "none yet"})`,
      { kind, id, state },
    ));
  let regenerate = true;
  try {
    return await poller.run(async () => {
      for (;;) {
        const seen = await look(api, kind, id, regenerate, poller.signal, (now, entity) => {
          state = now;
          (options.onProgress as ((state: string, entity: unknown) => void) | undefined)?.(now, entity);
        });
        if (seen.regenerated) regenerate = false; // once per wait
        if (seen.done) return seen.entity;
        await poller.pause();
      }
    });
  } finally {
    poller.done();
  }
}

/**
 * Waits until job `jobId` is Completed and resolves with it (`GET /job/{jobId}`), polling after about
 * 1 s (`interval`), then ever longer waits up to 30 s, jittered. Failed rejects with a
 * {@link RapidataWaitError} `ERR_WAIT_FAILED` (with the `failureMessage`), ManualApproval and
 * SpendLimited with `ERR_WAIT_BLOCKED` (with the `reviewReason`); StaleResults triggers regeneration
 * (`POST /job/{jobId}/retry`) once, then the wait goes on. `timeout` (ms) rejects with
 * `ERR_WAIT_TIMEOUT`, `signal` with its reason, both at once (the request in flight is cancelled).
 * Errors of the calls themselves are the client's (`RapidataApiError`; 429s are retried by it).
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { typed, waitForJob } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const job = await waitForJob(api, "job-id", { timeout: 3_600_000, onProgress: (state) => console.log(state) });
 * console.log(job.completedAt);
 * ```
 */
export function waitForJob(api: TypedClient, jobId: string, options?: WaitOptions<JobState, Job>): Promise<Job> {
  return wait("job", "waitForJob", api, jobId, options as WaitOptions<string, never>) as Promise<Job>;
}

/**
 * Waits until order `orderId` is Completed and resolves with it (`GET /order/{orderId}`), as
 * {@link waitForJob} does: Failed and Cancelled reject with `ERR_WAIT_FAILED`, ManualReview with
 * `ERR_WAIT_BLOCKED`, StaleResults is regenerated once (`POST /order/{orderId}/retry`).
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { typed, waitForOrder } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const order = await waitForOrder(api, "order-id", { signal: AbortSignal.timeout(600_000) });
 * console.log(order.orderName, order.state);
 * ```
 */
export function waitForOrder(
  api: TypedClient,
  orderId: string,
  options?: WaitOptions<OrderState | (string & Record<never, never>), Order>,
): Promise<Order> {
  return wait("order", "waitForOrder", api, orderId, options as WaitOptions<string, never>) as Promise<Order>;
}

/**
 * One poll of job `jobId`, for waits longer than one run of your code (a Worker's Durable Object
 * alarm or cron trigger): resolves with `done: true` when Completed, rejects as {@link waitForJob}
 * does for Failed, ManualApproval and SpendLimited, and on StaleResults triggers regeneration unless
 * `regenerate: false` (pass that once a check came back `regenerated`).
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { checkJob, typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const { done, state } = await checkJob(api, "job-id");
 * if (!done) console.log(`still ${state}: look again later`);
 * ```
 */
export function checkJob(api: TypedClient, jobId: string, options?: CheckOptions): Promise<Check<Job>> {
  return check("job", "checkJob", api, jobId, options) as Promise<Check<Job>>;
}

/**
 * One poll of order `orderId`, as {@link checkJob} is for jobs.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { checkOrder, typed } from "@rapidata/fetch/api";
 *
 * const api = typed(createClient({ clientId: "my-id", clientSecret: "my-secret" }));
 * const { done, entity } = await checkOrder(api, "order-id");
 * if (done) console.log(entity.orderName);
 * ```
 */
export function checkOrder(api: TypedClient, orderId: string, options?: CheckOptions): Promise<Check<Order>> {
  return check("order", "checkOrder", api, orderId, options) as Promise<Check<Order>>;
}
