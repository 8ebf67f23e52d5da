/**
 * A local stand-in of Rapidata: its token endpoint and a few API routes, as one Web-standard fetch
 * handler. It runs wherever `fetch` runs (Node, Deno, Bun, workerd): pass `standIn.fetch` as a client's
 * `fetch` option, or serve it on loopback.
 *
 * @module
 */

import { type BridgeStats, createBridge } from "./bridge.ts";
import { control } from "./control.ts";
import { type FaultPlan, nextFault, playFault, StandInReset } from "./faults.ts";
import { onlyKnown } from "../internal/known.ts";
import { bodyText, decoded, formDecode, json, oauthError, problem, randomId, traceId } from "./http.ts";
import { newSigningKey, signJwt, verifyJwt } from "./jwt.ts";
import { createWorkflows, type ProgressScript, type ProgressStats, type StoredAsset } from "./workflows.ts";

/** A client the stand-in knows. */
export interface StandInClient {
  /** OAuth client id. */
  clientId: string;
  /** OAuth client secret. */
  clientSecret: string;
  /** Scopes this client may request. @default ["openid", "email", "profile", "api"] */
  scopes?: string[];
  /** Lifetime in seconds of tokens issued to this client. @default the stand-in's `tokenLifetime` */
  tokenLifetime?: number;
  /** Leave `expires_in` out of token responses. @default false */
  omitExpiresIn?: boolean;
}

/**
 * A client's credentials as `addClient` hands them out: `clientId` and `clientSecret` enumerable, the
 * rest not, so that `createClient({ ...standIn.addClient(), fetch: standIn.fetch })` passes no option
 * `createClient` does not know. @internal
 */
export function credentialsOf(client: StandInClient): StandInClient {
  return Object.defineProperties({ clientId: client.clientId, clientSecret: client.clientSecret }, {
    scopes: { value: [...client.scopes ?? []] },
    tokenLifetime: { value: client.tokenLifetime },
    omitExpiresIn: { value: client.omitExpiresIn },
  });
}

/** Options of {@link createStandIn}. */
export interface StandInOptions {
  /** Clients known from the start. @default [] (add some with `addClient`) */
  clients?: StandInClient[];
  /** Lifetime in seconds of issued tokens. @default 3600 */
  tokenLifetime?: number;
  /** The audience put into tokens when the `api` scope was granted. @default "https://api.rapidata.ai" */
  audience?: string;
  /** The `iss` of issued tokens. @default "https://auth.rapidata.ai/" */
  issuer?: string;
  /**
   * Whether the API refuses tokens without the audience, as Rapidata's backend does once audience
   * validation is enforced (a 401 with `WWW-Authenticate: Bearer error="invalid_token",
   * error_description="…"`, as OpenIddict's validation answers). `false` is the backend before the
   * switch: tokens without the audience are accepted.
   * @default true
   */
  enforceAudience?: boolean;
  /** The stand-in's clock, epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** What the stand-in has seen for one client (or for all). */
export interface StandInStats {
  /** Requests to `POST /connect/token`, successful or not. */
  tokenRequests: number;
  /** Tokens issued. */
  tokensIssued: number;
  /** API calls made with a token of this client (accepted or not). */
  apiCalls: number;
  /** How the client last authenticated: `"basic"`, `"post"` or `undefined`. */
  lastAuthMethod: string | undefined;
  /** The scope last requested. */
  lastScope: string | undefined;
  /** The `X-Client` header of the last API call. */
  lastXClient: string | undefined;
  /** The `aud` of the last token issued. */
  lastAudience: string[] | undefined;
}

/** The stand-in: a fetch handler plus controls and counters. */
export interface StandIn {
  /**
   * Handles one request: token endpoint, API routes, and the `/__stand-in/*` control routes. It has
   * `fetch`'s signature, so it can be a client's `fetch` option or a server's handler
   * (`Deno.serve(standIn.fetch)`, `Bun.serve({ fetch: standIn.fetch })`: a server's own second
   * argument is ignored when the first is a `Request`).
   */
  readonly fetch: (input: string | URL | Request, init?: RequestInit | object) => Promise<Response>;
  /**
   * Registers a client; missing fields get random values. Only `clientId` and `clientSecret` of the
   * result are enumerable: spread it into `createClient`.
   */
  addClient(client?: Partial<StandInClient>): StandInClient;
  /** Counters for one client, or summed over all. */
  stats(clientId?: string): StandInStats;
  /** Makes every token issued so far to `clientId` invalid for the API (answers 401). */
  revokeTokens(clientId: string): void;
  /** Holds token responses for `clientId` until the returned function is called. */
  holdTokens(clientId: string): () => void;
  /** Scripts misbehaviour of the token endpoint and the API for `clientId` (appended to any queued). */
  injectFaults(clientId: string, plan: FaultPlan): void;
  /** What the browser-login bridge saw (`rapidata-fetch login`). */
  bridgeStats(): BridgeStats;
  /**
   * Adds a job (`GET /job/{jobId}`, `POST /job/{jobId}/retry`, `GET /job/{jobId}/download-results`)
   * whose state moves one step per poll as `script` says (Queued → Running → Completed by default);
   * returns its id.
   */
  addJob(script?: ProgressScript): string;
  /** Adds an order (`GET /order/{orderId}`, `…/retry`, `…/download-results`), as {@link StandIn.addJob}. */
  addOrder(script?: ProgressScript): string;
  /** What the stand-in saw of a job or order added here (`undefined` for another id). */
  progress(id: string): ProgressStats | undefined;
  /** A file stored by `POST /asset/file` or `POST /asset/url`, by the `fileName` it answered. */
  asset(fileName: string): StoredAsset | undefined;
}

interface ClientState extends StandInClient {
  stats: StandInStats;
  revokedBefore: number;
  issued: number;
  hold: Promise<void> | undefined;
  release: (() => void) | undefined;
  faults: Required<FaultPlan>;
}

const DEFAULT_SCOPES = ["openid", "email", "profile", "api"];
// Shaped as the description's QueryOrdersEndpoint_Output.
const ORDERS = Array.from({ length: 25 }, (_, i) => ({
  id: `order-${i + 1}`,
  pipelineId: `pipeline-${i + 1}`,
  orderDate: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  customerMail: "customer@example.com",
  state: i % 3 === 0 ? "Completed" : "Processing",
  orderName: `Order ${i + 1}`,
  isPublic: false,
}));

const ORDER_FIELDS = { order_name: "orderName", state: "state", order_date: "orderDate" } as const;

/**
 * GET /orders' filters and sort as the description declares them: deepObject filters
 * `field[op]=value` (`eq`, `neq`, `contains`, `starts_with`, `ends_with`, `in` as repeated keys) and
 * `sort=field` / `sort=-field` (repeated). Anything else is a 400, as a strict API would answer.
 */
function filterOrders(query: URLSearchParams): typeof ORDERS | Response {
  let orders = [...ORDERS];
  for (const [key, value] of query) {
    const filter = /^(\w+)\[(\w+)\]$/.exec(key);
    if (!filter) {
      if (["page", "page_size", "sort"].includes(key)) continue;
      return problem(400, "One or more validation errors occurred.", undefined, { errors: { [key]: ["Unknown"] } });
    }
    const field = ORDER_FIELDS[filter[1] as keyof typeof ORDER_FIELDS];
    const text = (order: (typeof ORDERS)[number]) => String(order[field]);
    const tests: Record<string, (v: string) => boolean> = {
      eq: (v) => v === value,
      neq: (v) => v !== value,
      contains: (v) => v.includes(value),
      starts_with: (v) => v.startsWith(value),
      ends_with: (v) => v.endsWith(value),
      in: (v) => query.getAll(key).includes(v),
    };
    const test = tests[filter[2]!];
    if (!field || !test) {
      return problem(400, "One or more validation errors occurred.", undefined, { errors: { [key]: ["Unknown"] } });
    }
    orders = orders.filter((order) => test(text(order)));
  }
  for (const sort of query.getAll("sort").reverse()) { // the first key sorts last, so it wins
    const field = ORDER_FIELDS[sort.replace(/^-/, "") as keyof typeof ORDER_FIELDS];
    if (!field) continue;
    const sign = sort.startsWith("-") ? -1 : 1;
    orders.sort((a, b) => sign * String(a[field]).localeCompare(String(b[field])));
  }
  return orders;
}

function emptyStats(): StandInStats {
  return {
    tokenRequests: 0,
    tokensIssued: 0,
    apiCalls: 0,
    lastAuthMethod: undefined,
    lastScope: undefined,
    lastXClient: undefined,
    lastAudience: undefined,
  };
}

/**
 * Creates a stand-in of Rapidata's identity server and API.
 *
 * Routes: `POST /connect/token` (client credentials; `client_secret_basic` or `client_secret_post`),
 * `GET /orders` (`page`, `page_size`, filters such as `state[eq]=…`, `sort`), `GET /order/{id}`, `POST /dataset`,
 * the workflow routes (jobs and orders added with `addJob` / `addOrder`: `GET /job/{jobId}`,
 * `POST /job/{jobId}/retry`, `GET /job/{jobId}/download-results` and the same for orders;
 * `POST /asset/file`, `POST /asset/url`, `POST /asset/batch-upload`, `GET /asset/batch-upload/status`,
 * `GET /asset/batch-upload/{id}`, `POST /asset/batch-upload/{id}/abort`, where a URL containing
 * "fail" fails, "invalid" is refused and "abort" aborts its batch) and one paged list per paging style
 * (`GET /billing/costs/customers`: 23 items, `page` / `pageSize`; `GET /benchmark/{id}/matchups/query`:
 * 17, no `totalPages`; `GET /authorization/relations/bidder`: 12, `cursor`;
 * `GET /leaderboard/faucet/replicate/models?search=`: 11 `models`, 5 a page) (all: bearer token with
 * the API audience required),
 * and for tests driven over HTTP: `POST /__stand-in/clients`, `GET /__stand-in/stats?client_id=`,
 * `POST /__stand-in/revoke?client_id=`, `POST /__stand-in/hold?client_id=`,
 * `POST /__stand-in/release?client_id=`, `POST /__stand-in/faults?client_id=` (a JSON `FaultPlan`),
 * `POST /__stand-in/jobs` and `POST /__stand-in/orders` (a JSON `ProgressScript`; answer `{ id }`),
 * `GET /__stand-in/progress?id=`, `GET /__stand-in/asset?file_name=`, `ANY /__stand-in/echo?status=200` (what arrived, no auth
 * needed) and
 * `GET /__stand-in/redirect?to=URL&status=302`, `GET /__stand-in/bridge` (bridge stats). The browser-login
 * bridge of `rapidata-fetch login` is there too: `POST|GET /identity/bridge-token`,
 * `GET /connect/authorize/external` (opening it logs a user in at once) and `POST /Client`.
 *
 * @example
 * ```ts
 * import { createClient } from "@rapidata/fetch";
 * import { createStandIn } from "@rapidata/fetch/testing";
 *
 * const standIn = createStandIn();
 * const { clientId, clientSecret } = standIn.addClient();
 * const rapidata = createClient({ clientId, clientSecret, fetch: standIn.fetch });
 * await rapidata.get("/orders");
 * console.log(standIn.stats(clientId).tokenRequests); // 1
 * ```
 */
export function createStandIn(options: StandInOptions = {}): StandIn {
  onlyKnown(options, ["clients", "tokenLifetime", "audience", "issuer", "enforceAudience", "now"], "createStandIn");
  const now = options.now ?? Date.now;
  const audience = options.audience ?? "https://api.rapidata.ai";
  const issuer = options.issuer ?? "https://auth.rapidata.ai/";
  const defaultLifetime = options.tokenLifetime ?? 3600;
  const clients = new Map<string, ClientState>();
  let keyPromise: Promise<CryptoKey> | undefined;
  const key = () => keyPromise ??= newSigningKey();

  function addClient(client: Partial<StandInClient> = {}): StandInClient {
    const state: ClientState = {
      clientId: client.clientId ?? randomId("client-"),
      clientSecret: client.clientSecret ?? randomId("secret-"),
      scopes: client.scopes ?? DEFAULT_SCOPES,
      tokenLifetime: client.tokenLifetime ?? defaultLifetime,
      omitExpiresIn: client.omitExpiresIn ?? false,
      stats: emptyStats(),
      revokedBefore: 0,
      issued: 0,
      hold: undefined,
      release: undefined,
      faults: { token: [], api: [] },
    };
    clients.set(state.clientId, state);
    return credentialsOf(state);
  }
  for (const client of options.clients ?? []) addClient(client);

  function holdTokens(clientId: string): () => void {
    const state = clients.get(clientId);
    if (!state) throw new TypeError(`unknown client ${clientId}`);
    if (!state.hold) {
      state.hold = new Promise<void>((resolve) => {
        state.release = () => {
          state.hold = state.release = undefined;
          resolve();
        };
      });
    }
    return () => state.release?.();
  }

  async function token(request: Request): Promise<Response> {
    const type = request.headers.get("content-type") ?? "";
    if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      return oauthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams(await bodyText(request));
    const authorization = request.headers.get("authorization");
    let clientId: string | undefined;
    let secret: string | undefined;
    let method: string | undefined;
    if (authorization !== null) {
      const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization);
      let decoded: string | undefined;
      try {
        decoded = match ? atob(match[1]!) : undefined;
      } catch { /* malformed */ }
      const colon = decoded?.indexOf(":") ?? -1;
      if (decoded === undefined || colon < 0) {
        return oauthError(401, "invalid_client", "malformed Basic credentials", true);
      }
      try {
        clientId = formDecode(decoded.slice(0, colon));
        secret = formDecode(decoded.slice(colon + 1));
      } catch {
        return oauthError(401, "invalid_client", "malformed Basic credentials", true);
      }
      method = "basic";
      if (form.has("client_secret")) {
        return oauthError(400, "invalid_request", "more than one client authentication method was used");
      }
    } else if (form.has("client_secret")) {
      clientId = form.get("client_id") ?? undefined;
      secret = form.get("client_secret") ?? undefined;
      method = "post";
    }
    const state = clientId === undefined ? undefined : clients.get(clientId);
    if (state) {
      state.stats.tokenRequests++;
      state.stats.lastAuthMethod = method;
      state.stats.lastScope = form.get("scope") ?? undefined;
    }
    const fault = nextFault(state?.faults.token);
    const faulty = fault && await playFault(fault, request);
    if (faulty) return faulty;
    if (!state || secret !== state.clientSecret) {
      return oauthError(401, "invalid_client", "unknown client or wrong secret", method === "basic");
    }
    if (form.get("grant_type") !== "client_credentials") {
      return oauthError(400, "unsupported_grant_type", "only client_credentials is supported here");
    }
    const requested = (form.get("scope") ?? "").split(" ").filter(Boolean);
    const unknown = requested.filter((scope) => !state.scopes!.includes(scope));
    if (unknown.length > 0) return oauthError(400, "invalid_scope", `scope not allowed: ${unknown.join(" ")}`);
    if (state.hold) await state.hold;
    const issuedAt = now();
    const iat = Math.floor(issuedAt / 1000);
    const granted = requested.length > 0 ? requested : ["api"];
    const claims = {
      iss: issuer,
      sub: state.clientId,
      client_id: state.clientId,
      aud: granted.includes("api") ? [audience] : [`${issuer}resources`],
      scope: granted,
      iat,
      nbf: iat,
      // Rounded up: the token lives at least the `expires_in` announced (a floored exp would end a
      // token issued mid-second up to a second early, and clients renewing by expires_in would see 401s).
      exp: Math.ceil(issuedAt / 1000 + state.tokenLifetime!),
      jti: randomId(""),
      seq: ++state.issued,
    };
    state.stats.tokensIssued++;
    state.stats.lastAudience = claims.aud;
    const body: Record<string, unknown> = {
      access_token: await signJwt(await key(), claims),
      token_type: "Bearer",
      scope: granted.join(" "),
    };
    if (!state.omitExpiresIn) body.expires_in = state.tokenLifetime;
    return json(200, body);
  }

  /** Checks the bearer token; returns the client or a 401. */
  async function authenticate(request: Request): Promise<ClientState | Response> {
    const match = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "");
    const deny = (description: string) =>
      new Response(null, {
        status: 401,
        headers: {
          "www-authenticate": `Bearer error="invalid_token", error_description="${description}"`,
          "x-trace-id": traceId(),
        },
      });
    if (!match) return deny("no bearer token");
    const claims = await verifyJwt(await key(), match[1]!);
    const state = typeof claims?.client_id === "string" ? clients.get(claims.client_id) : undefined;
    if (!claims || !state) return deny("the token is not valid");
    state.stats.apiCalls++;
    state.stats.lastXClient = request.headers.get("x-client") ?? undefined;
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= now()) return deny("the token has expired");
    if (options.enforceAudience !== false && !(Array.isArray(claims.aud) && claims.aud.includes(audience))) {
      return deny(`the token's audience is not ${audience}`);
    }
    if (typeof claims.seq !== "number" || claims.seq <= state.revokedBefore) return deny("the token was revoked");
    return state;
  }

  async function api(request: Request, url: URL): Promise<Response> {
    const auth = await authenticate(request);
    const fault = nextFault((auth instanceof Response ? undefined : auth)?.faults.api);
    const faulty = fault && await playFault(fault, request);
    if (faulty) return faulty;
    if (auth instanceof Response) return auth;
    const trace = { "x-trace-id": traceId() };
    const path = url.pathname;
    const workflow = await workflows.handle(request, url, trace);
    if (workflow) return workflow;
    if (request.method === "GET" && path === "/orders") {
      const page = Math.max(1, Number(url.searchParams.get("page") ?? "1") || 1);
      const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get("page_size") ?? "10") || 10));
      const found = filterOrders(url.searchParams);
      if (found instanceof Response) return found;
      const items = found.slice((page - 1) * pageSize, page * pageSize);
      const totalPages = Math.ceil(found.length / pageSize);
      return json(200, { total: found.length, page, pageSize, items, totalPages }, trace);
    }
    const order = /^\/order\/([^/]+)$/.exec(path);
    if (request.method === "GET" && order) {
      const found = ORDERS.find((o) => o.id === decoded(order[1]!));
      return found ? json(200, found, trace) : problem(404, "Not Found", `Order ${order[1]} does not exist`);
    }
    if (request.method === "POST" && path === "/dataset") {
      let body: unknown;
      try {
        body = await request.json();
      } catch { /* handled below */ }
      const name = (body as { name?: unknown } | undefined)?.name;
      if (typeof name !== "string" || name === "") {
        return problem(400, "One or more validation errors occurred.", undefined, {
          errors: { Name: ["The Name field is required."] },
        });
      }
      return json(200, { datasetId: randomId("dataset-"), name }, trace);
    }
    return problem(404, "Not Found", `No route for ${request.method} ${path}`);
  }

  function stats(clientId?: string): StandInStats {
    if (clientId !== undefined) return { ...(clients.get(clientId)?.stats ?? emptyStats()) };
    const sum = emptyStats();
    for (const { stats: s } of clients.values()) {
      sum.tokenRequests += s.tokenRequests;
      sum.tokensIssued += s.tokensIssued;
      sum.apiCalls += s.apiCalls;
    }
    return sum;
  }

  function injectFaults(clientId: string, plan: FaultPlan): void {
    const state = clients.get(clientId);
    if (!state) throw new TypeError(`unknown client ${clientId}`);
    const times = (fault: { times?: number }) => fault.times === null || fault.times === -1 ? Infinity : fault.times;
    for (const key of ["token", "api"] as const) {
      state.faults[key].push(...(plan[key] ?? []).map((fault) => ({ ...fault, times: times(fault) })));
    }
  }

  function revokeTokens(clientId: string): void {
    const state = clients.get(clientId);
    if (!state) throw new TypeError(`unknown client ${clientId}`);
    state.revokedBefore = state.issued;
  }

  const workflows = createWorkflows(now);

  const bridge = createBridge({
    addClient: () => addClient(),
    sign: async (claims) => signJwt(await key(), { iss: issuer, ...claims }),
    verify: async (token) => verifyJwt(await key(), token),
    now,
  });

  function handle(request: Request): Promise<Response> | Response {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__stand-in/")) return control(standIn, request, url);
    const bridged = bridge.handle(request, url);
    if (bridged) return bridged;
    if (url.pathname === "/connect/token") {
      return request.method === "POST" ? token(request) : problem(405, "Method Not Allowed");
    }
    return api(request, url);
  }

  const standIn: StandIn = {
    fetch: async (input: string | URL | Request, init?: RequestInit | object) => {
      try {
        // A Request is taken as it is: servers pass a second argument of their own (Deno's info,
        // Bun's server) that is no RequestInit.
        return await handle(input instanceof Request ? input : new Request(input, init as RequestInit));
      } catch (error) {
        if (error instanceof StandInReset) throw error; // a scripted dropped connection
        return problem(500, "Stand-in failure", error instanceof Error ? error.message : String(error));
      }
    },
    addClient,
    stats,
    revokeTokens,
    holdTokens,
    injectFaults,
    bridgeStats: () => ({ ...bridge.stats, displayNames: [...bridge.stats.displayNames] }),
    addJob: workflows.addJob,
    addOrder: workflows.addOrder,
    progress: workflows.progress,
    asset: workflows.asset,
  };
  return standIn;
}
