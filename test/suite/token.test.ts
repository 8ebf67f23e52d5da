import assert from "node:assert/strict";
import { createClient, DEFAULT_SCOPE, RapidataError } from "../../mod.ts";
import {
  claims,
  eventually,
  fakeClock,
  hold,
  newCredentials,
  release,
  standInClient,
  stats,
} from "../support/control.ts";
import { describe, it, standInUrl } from "../support/harness.ts";

describe("client credentials", () => {
  it("requests the default scope, so the token carries the API audience", async () => {
    const { rapidata, creds } = await standInClient();
    const token = await rapidata.accessToken();
    assert.equal(DEFAULT_SCOPE, "openid email api");
    assert.equal((await stats(creds.clientId)).lastScope, "openid email api");
    assert.deepEqual(claims(token).aud, ["https://api.rapidata.ai"]);
    assert.equal(claims(token).client_id, creds.clientId);
  });

  it("without the api scope the token lacks the audience and the API refuses it", async () => {
    const { rapidata } = await standInClient({ scope: "openid email" });
    assert.ok(!(claims(await rapidata.accessToken()).aud as string[]).includes("https://api.rapidata.ai"));
    assert.equal((await rapidata.fetch("/orders")).status, 401);
  });

  for (const clientAuthentication of ["client_secret_basic", "client_secret_post"] as const) {
    it(`authenticates with ${clientAuthentication}, secrets with : % + and spaces included`, async () => {
      const clientSecret = "a:b%20c+d e/f=g&h";
      const { rapidata, creds } = await standInClient({ clientAuthentication }, {
        clientId: `id:with %+ ${clientAuthentication}`,
        clientSecret,
      });
      const orders = await rapidata.get<{ items: unknown[] }>("/orders");
      assert.equal(orders.items.length, 10);
      const seen = await stats(creds.clientId);
      assert.equal(seen.lastAuthMethod, clientAuthentication === "client_secret_basic" ? "basic" : "post");
      assert.equal(seen.tokensIssued, 1);
    });
  }
});

describe("token cache", () => {
  it("reuses a token until leeway seconds before expiry", async () => {
    const clock = fakeClock();
    const { rapidata, creds } = await standInClient({ now: clock.now, leeway: 60 }, { tokenLifetime: 3600 });
    const first = await rapidata.accessToken();
    clock.advance(3539);
    assert.equal(await rapidata.accessToken(), first);
    await rapidata.get("/orders");
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
    clock.advance(2); // 3541 s: inside the 60 s leeway: still the valid token, renewed in the background
    assert.equal(await rapidata.accessToken(), first);
    await eventually(async () => (await rapidata.accessToken()) !== first, "the renewed token");
    assert.equal((await stats(creds.clientId)).tokenRequests, 2);
  });

  it("caps the leeway at half the lifetime, so short-lived tokens are still reused", async () => {
    const clock = fakeClock();
    const { rapidata, creds } = await standInClient({ now: clock.now, leeway: 60 }, { tokenLifetime: 40 });
    const first = await rapidata.accessToken();
    clock.advance(19);
    assert.equal(await rapidata.accessToken(), first);
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
    clock.advance(2); // 21 s > 40 / 2
    await eventually(async () => (await rapidata.accessToken()) !== first, "the renewed token");
    assert.equal((await stats(creds.clientId)).tokenRequests, 2);
  });

  it("fetches a new token after expiry", async () => {
    const clock = fakeClock();
    const { rapidata, creds } = await standInClient({ now: clock.now, leeway: 0 }, { tokenLifetime: 300 });
    const first = await rapidata.accessToken();
    clock.advance(299);
    assert.equal(await rapidata.accessToken(), first);
    clock.advance(1);
    assert.notEqual(await rapidata.accessToken(), first);
    assert.equal((await stats(creds.clientId)).tokenRequests, 2);
  });

  it("keeps a token without expires_in for at most five minutes", async () => {
    const clock = fakeClock();
    const { rapidata, creds } = await standInClient({ now: clock.now, leeway: 0 }, {
      tokenLifetime: 3600,
      omitExpiresIn: true,
    });
    const first = await rapidata.accessToken();
    clock.advance(299);
    assert.equal(await rapidata.accessToken(), first);
    clock.advance(2);
    assert.notEqual(await rapidata.accessToken(), first);
    assert.equal((await stats(creds.clientId)).tokenRequests, 2);
  });

  it("keeps no token longer than a day, whatever expires_in says", async () => {
    const clock = fakeClock();
    let issued = 0;
    const { rapidata } = await standInClient({
      now: clock.now,
      leeway: 0,
      fetch: () =>
        Promise.resolve(Response.json({ access_token: `token-${++issued}`, token_type: "Bearer", expires_in: 1e12 })),
    });
    assert.equal(await rapidata.accessToken(), "token-1");
    clock.advance(24 * 3600 - 1);
    assert.equal(await rapidata.accessToken(), "token-1");
    clock.advance(1);
    assert.equal(await rapidata.accessToken(), "token-2");
  });

  for (const keptAlive of [true, false]) {
    it(`renews in the background${keptAlive ? " (kept alive by waitUntil)" : ""}: calls in the window never wait`, async () => {
      const clock = fakeClock();
      const { rapidata, creds } = await standInClient({ now: clock.now, leeway: 60 }, { tokenLifetime: 3600 });
      const first = await rapidata.accessToken();
      clock.advance(3550);
      await hold(creds.clientId); // the token endpoint does not answer until released
      const background: Promise<unknown>[] = [];
      const waitUntil = keptAlive ? (promise: Promise<unknown>) => void background.push(promise) : undefined;
      const calls = await Promise.all(
        Array.from({ length: 20 }, () => rapidata.get<{ page: number }>("/orders", { waitUntil })),
      );
      assert.deepEqual(calls.map((orders) => orders.page), Array(20).fill(1));
      assert.equal(await rapidata.accessToken({ waitUntil }), first);
      assert.equal(background.length, keptAlive ? 1 : 0, "the one renewal, handed to waitUntil once");
      await eventually(async () => (await stats(creds.clientId)).tokenRequests === 2, "the renewal's request");
      await release(creds.clientId);
      await Promise.all(background);
      await eventually(async () => (await rapidata.accessToken()) !== first, "the renewed token");
      assert.equal((await stats(creds.clientId)).tokenRequests, 2); // one renewal, shared
    });
  }

  it("makes one token request for 1000 concurrent cold calls", async () => {
    const { rapidata, creds } = await standInClient();
    const responses = await Promise.all(Array.from({ length: 1000 }, () => rapidata.fetch("/orders")));
    assert.ok(responses.every((response) => response.status === 200));
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    const seen = await stats(creds.clientId);
    assert.equal(seen.tokenRequests, 1);
    assert.equal(seen.apiCalls, 1000);
  });

  it("shares tokens between clients with the same credentials, not with other secrets", async () => {
    const creds = await newCredentials();
    const options = { clientId: creds.clientId, apiUrl: standInUrl, authUrl: standInUrl };
    const a = createClient({ ...options, clientSecret: creds.clientSecret });
    const b = createClient({ ...options, clientSecret: creds.clientSecret });
    assert.equal(await a.accessToken(), await b.accessToken());
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
    const wrong = createClient({ ...options, clientSecret: `${creds.clientSecret}x` });
    await assert.rejects(wrong.accessToken(), { name: "RapidataAuthError", error: "invalid_client" });
    assert.equal((await stats(creds.clientId)).tokenRequests, 2);
  });

  it("does not cache a failed token request: the next call tries again", async () => {
    const creds = await newCredentials();
    let failNext = true;
    const rapidata = createClient({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      apiUrl: standInUrl,
      authUrl: standInUrl,
      retry: false,
      fetch: (input, init) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new TypeError("connection reset"));
        }
        return fetch(input, init);
      },
    });
    await assert.rejects(rapidata.accessToken(), (error: unknown) => {
      assert.ok(error instanceof RapidataError);
      assert.equal(error.code, "ERR_NETWORK");
      return true;
    });
    assert.equal(typeof await rapidata.accessToken(), "string");
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
  });
});
