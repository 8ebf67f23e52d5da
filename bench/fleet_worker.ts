/**
 * One simulated isolate of the fleet simulation: a client built once per isolate with the chosen store,
 * from the package's workerd entry (as wrangler bundles it: workerd's waitUntil keeps renewals alive).
 */
import {
  cacheApiStore,
  createClient,
  type DurableObjectNamespaceLike,
  durableObjectStore,
  type KVNamespaceLike,
  type RapidataClient,
  workersKvStore,
} from "../workerd.ts";

export { RapidataTokenBroker } from "../workerd.ts";

interface Env {
  STORE: string;
  ID: string;
  SECRET: string;
  STAND_IN_URL: string;
  KV: KVNamespaceLike;
  BROKER: DurableObjectNamespaceLike;
}

let rapidata: RapidataClient | undefined;

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    rapidata ??= createClient({
      clientId: env.ID,
      clientSecret: env.SECRET,
      apiUrl: env.STAND_IN_URL,
      authUrl: env.STAND_IN_URL,
      leeway: 1,
      store: env.STORE === "kv"
        ? workersKvStore(env.KV)
        : env.STORE === "cache"
        ? cacheApiStore()
        : env.STORE === "do"
        ? durableObjectStore(env.BROKER)
        : undefined,
    });
    const response = await rapidata.fetch("/orders");
    await response.arrayBuffer();
    return new Response(String(response.status));
  },
};
