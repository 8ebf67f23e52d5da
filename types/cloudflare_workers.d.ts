/**
 * The one member of workerd's `cloudflare:workers` module that `workerd.ts` uses (declared here so that
 * the package needs no `@cloudflare/workers-types` to build).
 */
declare module "cloudflare:workers" {
  /** Keeps `promise` alive after the current request's response (throws outside a request). */
  export function waitUntil(promise: Promise<unknown>): void;
}
