/**
 * The Deno KV part of the fleet simulation (run by bench/fleet.ts under `deno run -A --unstable-kv`):
 * each simulated isolate is its own copy of the bundled library (its own memory), all sharing one
 * Deno KV. Prints one JSON line: { calls, failures }.
 */
const bundle = Deno.env.get("FLEET_BUNDLE")!;
const isolates = Number(Deno.env.get("FLEET_ISOLATES"));
const duration = Number(Deno.env.get("FLEET_DURATION_MS"));
const tick = Number(Deno.env.get("FLEET_TICK_MS"));
const kv = await Deno.openKv(":memory:");

type Library = typeof import("../mod.ts");
const dir = await Deno.makeTempDir();
const clients = [];
for (let i = 0; i < isolates; i++) {
  const copy = `${dir}/isolate-${i}.mjs`;
  await Deno.copyFile(bundle, copy);
  const library: Library = await import(`file://${copy}`);
  clients.push(library.createClient({
    clientId: Deno.env.get("RAPIDATA_CLIENT_ID")!,
    clientSecret: Deno.env.get("RAPIDATA_CLIENT_SECRET")!,
    apiUrl: Deno.env.get("RAPIDATA_API_URL")!,
    authUrl: Deno.env.get("RAPIDATA_API_URL")!,
    leeway: 1,
    store: library.denoKvStore(kv),
  }));
}

const started = Date.now();
let calls = 0;
let failures = 0;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
await Promise.all(clients.map(async (client) => {
  await wait(Math.random() * tick);
  while (Date.now() - started < duration) {
    const response = await client.fetch("/orders");
    await response.arrayBuffer();
    calls++;
    if (response.status !== 200) failures++;
    await wait(tick);
  }
}));
kv.close();
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify({ calls, failures, seconds: (Date.now() - started) / 1000 }));
