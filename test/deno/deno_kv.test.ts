/**
 * `deno test -A --unstable-kv test/deno/`: denoKvStore on a real (in-memory) Deno KV.
 */
import assert from "node:assert/strict";
import { createClient, denoKvStore } from "../../mod.ts";
import type { StoreContext } from "../../src/stores/seal.ts";
import { createStandIn } from "../../src/testing/mod.ts";

const context = (clientId: string, clientSecret: string, tokenEndpoint: string): StoreContext => ({
  authUrl: tokenEndpoint.replace("/connect/token", ""),
  tokenEndpoint,
  clientId,
  clientSecret,
  scope: "openid email api",
  freshUntil: (token) => token.expiresAt - 60_000,
});

Deno.test("denoKvStore writes through, sealed, and another isolate reads the token", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const standIn = createStandIn();
    const creds = standIn.addClient();
    const store = denoKvStore(kv);
    const rapidata = createClient({ ...creds, fetch: standIn.fetch, store });
    const token = await rapidata.accessToken();
    const entries = await Array.fromAsync(kv.list({ prefix: ["@rapidata/fetch"] }));
    assert.equal(entries.length, 1);
    const value = entries[0]!.value as string;
    assert.ok(value.startsWith("rf1.") && !value.includes(token) && !value.includes(creds.clientSecret));
    assert.ok(!JSON.stringify(entries[0]!.key).includes(creds.clientId));
    const other = store.bind(context(creds.clientId, creds.clientSecret, rapidata.tokenEndpoint), Date.now, () => {});
    assert.equal((await other.load())?.token, token);
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
  } finally {
    kv.close();
  }
});

Deno.test("denoKvStore: two isolates writing at once converge on one token", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = denoKvStore(kv);
    const ctx = context("client-1", "secret-1", "https://auth.rapidata.ai/connect/token");
    const [a, b] = [store.bind(ctx, Date.now, () => {}), store.bind(ctx, Date.now, () => {})];
    const now = Date.now();
    const token = (name: string) => ({ token: name, issuedAt: now, expiresAt: now + 3_600_000 });
    await Promise.all([a.save(token("first")), b.save(token("second"))]);
    const stored = (await a.load())?.token;
    assert.ok(stored === "first" || stored === "second");
    assert.equal((await b.load())?.token, stored, "both isolates converge on one token");
  } finally {
    kv.close();
  }
});

Deno.test("denoKvStore: ten isolates starting cold at once make one token request (the renewal lease)", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const standIn = createStandIn();
    const creds = standIn.addClient();
    const { TokenCache } = await import("../../src/token/cache.ts");
    const { clientCredentialsSource } = await import("../../src/token/client_credentials.ts");
    const { resolveOptions } = await import("../../src/options.ts");
    // Ten isolates: each its own memory (cache), one Deno KV.
    const isolates = Array.from({ length: 10 }, () => {
      const resolved = resolveOptions({ ...creds, fetch: standIn.fetch, store: denoKvStore(kv) });
      return clientCredentialsSource(
        { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl },
        new TokenCache(),
      );
    });
    const tokens = await Promise.all(isolates.map((isolate) => isolate.token()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(standIn.stats(creds.clientId).tokenRequests, 1);
  } finally {
    kv.close();
  }
});
