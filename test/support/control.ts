/** Drives the stand-in over HTTP (so the same tests work in every runtime) and builds clients for it. */
import { type ClientOptions, createClient, type RapidataClient } from "../../mod.ts";
import type {
  FaultPlan,
  ProgressScript,
  ProgressStats,
  StandInClient,
  StandInStats,
  StoredAsset,
} from "../../src/testing/mod.ts";
import { credentialsOf } from "../../src/testing/stand_in.ts";
import { standInUrl } from "./harness.ts";

/** What the stand-in's `/__stand-in/echo` route saw. */
export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${standInUrl}/__stand-in/${path}`, init);
  if (!response.ok) throw new Error(`stand-in control ${path}: HTTP ${response.status}`);
  return await response.json() as T;
}

/** Registers a fresh client at the stand-in (unique id: tests never share cache entries). */
export async function newCredentials(client: Partial<StandInClient> = {}): Promise<StandInClient> {
  // As addClient hands them out: only the id and the secret enumerable, so they spread into createClient.
  return credentialsOf(await call("clients", { method: "POST", body: JSON.stringify(client) }));
}

export function stats(clientId: string): Promise<StandInStats> {
  return call(`stats?client_id=${encodeURIComponent(clientId)}`);
}

export async function revoke(clientId: string): Promise<void> {
  await call(`revoke?client_id=${encodeURIComponent(clientId)}`, { method: "POST" });
}

export async function hold(clientId: string): Promise<void> {
  await call(`hold?client_id=${encodeURIComponent(clientId)}`, { method: "POST" });
}

export async function release(clientId: string): Promise<void> {
  await call(`release?client_id=${encodeURIComponent(clientId)}`, { method: "POST" });
}

/** A client of the stand-in with fresh credentials. */
export async function standInClient(
  options: Partial<ClientOptions> = {},
  client: Partial<StandInClient> = {},
): Promise<{ rapidata: RapidataClient; creds: StandInClient }> {
  const creds = await newCredentials(client);
  const rapidata = createClient({
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    apiUrl: standInUrl,
    authUrl: standInUrl,
    ...options,
  });
  return { rapidata, creds };
}

/** A clock tests can move. */
export function fakeClock(start = Date.now()): { now: () => number; advance(seconds: number): void } {
  let t = start;
  return { now: () => t, advance: (seconds) => void (t += seconds * 1000) };
}

/** Decodes a JWT's payload (no checks). */
export function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part));
}

/**
 * Waits until `condition` holds (background work such as a renewal has landed), checking every 10 ms for
 * at most 5 s; fails if it never does. Not a timing assertion: the bound only keeps a broken test from hanging.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, what = "condition"): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${what} not reached within 5 s`);
}

/** Scripts misbehaviour of the stand-in for `clientId`. */
export async function injectFaults(clientId: string, plan: FaultPlan): Promise<void> {
  await call(`faults?client_id=${encodeURIComponent(clientId)}`, { method: "POST", body: JSON.stringify(plan) });
}

/** Adds a job (or an order) to the stand-in, moving as `script` says; its id. */
export async function addWorkflow(kind: "job" | "order", script: ProgressScript = {}): Promise<string> {
  const { id } = await call<{ id: string }>(kind === "job" ? "jobs" : "orders", {
    method: "POST",
    body: JSON.stringify(script),
  });
  return id;
}

/** What the stand-in saw of a job or an order. */
export function progress(id: string): Promise<ProgressStats> {
  return call(`progress?id=${encodeURIComponent(id)}`);
}

/** A file the stand-in stored, by the `fileName` it answered. */
export function storedAsset(fileName: string): Promise<StoredAsset> {
  return call(`asset?file_name=${encodeURIComponent(fileName)}`);
}
