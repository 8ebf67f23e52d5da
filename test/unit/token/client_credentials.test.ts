/**
 * Unit tests of the client-credentials token source (src/token/client_credentials.ts): a fresh
 * TokenCache per test, and a token endpoint answered in-process (a fake fetch, or the stand-in).
 */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { RapidataAuthError } from "../../../src/errors.ts";
import type { RapidataEvent } from "../../../src/events.ts";
import { type ClientOptions, resolveOptions } from "../../../src/options.ts";
import { memoryStore } from "../../../src/stores/memory.ts";
import { createStandIn } from "../../../src/testing/mod.ts";
import { TokenCache } from "../../../src/token/cache.ts";
import { cacheKey, clientCredentialsSource, type CredentialsSettings } from "../../../src/token/client_credentials.ts";
import type { GrantSettings } from "../../../src/token/grant.ts";

const NOW = 1_700_000_000_000;
const creds = { clientId: "client-1", clientSecret: "s3cr3t-value-1" };

/**
 * A token endpoint: request n gets `script(n)` when that gives an answer (or throws), else a token
 * `token-<n>` valid for an hour.
 */
function tokenEndpoint(script: (n: number) => Response | undefined = () => undefined) {
  const state = { requests: 0 };
  const fetch = (_input: string | URL | Request, _init?: RequestInit) => {
    const n = ++state.requests;
    try {
      const answer = script(n) ??
        Response.json({ access_token: `token-${n}`, token_type: "Bearer", expires_in: 3600 });
      return Promise.resolve(answer);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return { fetch, state };
}

/** The settings `createClient` gives the source, with a sleep that resolves at once and records its waits. */
function settingsOf(options: ClientOptions, sleeps: number[] = []): CredentialsSettings {
  const resolved = resolveOptions({
    ...creds,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  return { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe("clientCredentialsSource: tokens and the cache", () => {
  it("makes one token request for many concurrent callers", async () => {
    const started = deferred();
    const gate = deferred();
    let requests = 0;
    const fetch = async () => {
      requests++;
      started.resolve();
      await gate.promise;
      return Response.json({ access_token: `token-${requests}`, token_type: "Bearer", expires_in: 3600 });
    };
    const source = clientCredentialsSource(settingsOf({ fetch }), new TokenCache());
    const callers = Array.from({ length: 25 }, () => source.token());
    await started.promise;
    await new Promise((resolve) => setTimeout(resolve, 10)); // every caller has had its turn to join
    gate.resolve();
    assert.deepEqual(await Promise.all(callers), Array(25).fill("token-1"));
    assert.equal(requests, 1);
    assert.equal(await source.token(), "token-1");
    assert.equal(requests, 1);
  });

  it("makes one token request for concurrent callers against the stand-in, authenticating as configured", async () => {
    for (const clientAuthentication of ["client_secret_basic", "client_secret_post"] as const) {
      const standIn = createStandIn();
      const client = standIn.addClient();
      const release = standIn.holdTokens(client.clientId);
      const source = clientCredentialsSource(
        settingsOf({ ...client, clientAuthentication, fetch: standIn.fetch }),
        new TokenCache(),
      );
      const callers = Array.from({ length: 10 }, () => source.token());
      await new Promise((resolve) => setTimeout(resolve, 10));
      release();
      const tokens = await Promise.all(callers);
      assert.equal(new Set(tokens).size, 1);
      const stats = standIn.stats(client.clientId);
      assert.equal(stats.tokenRequests, 1, clientAuthentication);
      assert.equal(stats.tokensIssued, 1);
      assert.equal(stats.lastAuthMethod, clientAuthentication === "client_secret_basic" ? "basic" : "post");
      assert.equal(stats.lastScope, "openid email api");
    }
  });

  it("gives the token with its times, and reports it", async () => {
    const events: RapidataEvent[] = [];
    const { fetch } = tokenEndpoint();
    const source = clientCredentialsSource(
      settingsOf({ fetch, now: () => NOW, onEvent: (event) => events.push(event) }),
      new TokenCache(),
    );
    assert.deepEqual(await source.cached(), { token: "token-1", issuedAt: NOW, expiresAt: NOW + 3_600_000 });
    assert.equal(await source.token(), "token-1");
    assert.deepEqual(events, [{ type: "token", renewal: false, expiresIn: 3600, stored: false }]);
    assert.equal(source.renewable, true);
  });

  it("after rejected(token), fetches a new token on the next call", async () => {
    const endpoint = tokenEndpoint();
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    assert.equal(await source.token(), "token-1");
    await source.rejected("token-1");
    assert.equal(await source.token(), "token-2");
    assert.equal(endpoint.state.requests, 2);
    await source.rejected("token-1"); // an old token again: the current one stays
    assert.equal(await source.token(), "token-2");
    assert.equal(endpoint.state.requests, 2);
  });

  it("fresh(): the cached token without a promise while nothing is due; nothing before, in the renewal window, or once rejected", async () => {
    let now = NOW;
    const endpoint = tokenEndpoint();
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch, now: () => now }), new TokenCache());
    assert.equal(source.fresh?.(), undefined); // nothing cached yet
    assert.equal(await source.token(), "token-1");
    assert.equal(source.fresh?.(), "token-1");
    now = NOW + 3_600_000 - 60_000; // the leeway window: a renewal is due, which only token() starts
    assert.equal(source.fresh?.(), undefined);
    now = NOW;
    await source.rejected("token-1");
    assert.equal(source.fresh?.(), undefined);
    assert.equal(endpoint.state.requests, 1);
  });

  it("keeps the current token when another token is rejected", async () => {
    const endpoint = tokenEndpoint();
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    await source.rejected("never-issued"); // before any token: nothing to drop
    assert.equal(await source.token(), "token-1");
    await source.rejected("someone-elses-token");
    assert.equal(await source.token(), "token-1");
    assert.equal(endpoint.state.requests, 1);
  });

  it("refuses a token equal to a rejected one when the endpoint brings it back", async () => {
    let fresh = false;
    const endpoint = tokenEndpoint((n) =>
      Response.json({ access_token: fresh ? `fresh-${n}` : "same-token", token_type: "Bearer", expires_in: 3600 })
    );
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    assert.equal(await source.token(), "same-token");
    await source.rejected("same-token");
    await assert.rejects(source.token(), (error: unknown) => {
      assert.ok(error instanceof RapidataAuthError);
      assert.equal(error.code, "ERR_TOKEN_RESPONSE");
      assert.ok(!error.message.includes("same-token"));
      return true;
    });
    assert.equal(endpoint.state.requests, 2);
    fresh = true;
    assert.equal(await source.token(), "fresh-3");
  });

  it("shares tokens between sources of the same credentials on one cache, not across caches or secrets", async () => {
    const endpoint = tokenEndpoint();
    const cache = new TokenCache();
    const a = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), cache);
    const b = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), cache);
    assert.equal(await a.token(), "token-1");
    assert.equal(await b.token(), "token-1");
    assert.equal(endpoint.state.requests, 1);
    const otherSecret = clientCredentialsSource(
      settingsOf({ fetch: endpoint.fetch, clientSecret: "another-secret" }),
      cache,
    );
    assert.equal(await otherSecret.token(), "token-2");
    const otherCache = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    assert.equal(await otherCache.token(), "token-3");
    assert.equal(endpoint.state.requests, 3);
    await b.rejected("token-1"); // one cache: a rejection through one source is seen by the other
    assert.equal(await a.token(), "token-4");
  });

  it("does not cache a failure: the next call asks again", async () => {
    const endpoint = tokenEndpoint((n) =>
      n === 1 ? Response.json({ error: "invalid_client" }, { status: 401 }) : undefined
    );
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    await assert.rejects(source.token(), { code: "ERR_TOKEN_REJECTED", error: "invalid_client" });
    assert.equal(await source.token(), "token-2");
  });
});

describe("clientCredentialsSource: retries", () => {
  it("retries a 503, then succeeds", async () => {
    const events: RapidataEvent[] = [];
    const sleeps: number[] = [];
    const endpoint = tokenEndpoint((n) => n === 1 ? new Response(null, { status: 503 }) : undefined);
    const source = clientCredentialsSource(
      settingsOf({ fetch: endpoint.fetch, onEvent: (event) => events.push(event) }, sleeps),
      new TokenCache(),
    );
    assert.equal(await source.token(), "token-2");
    assert.equal(endpoint.state.requests, 2);
    assert.equal(sleeps.length, 1);
    const retries = events.filter((event) => event.type === "retry");
    assert.equal(retries.length, 1);
    assert.deepEqual({ ...retries[0], delay: 0 }, {
      type: "retry",
      target: "token",
      attempt: 1,
      delay: 0,
      status: 503,
      code: "ERR_TOKEN_REJECTED",
    });
  });

  it("retries a network error, then succeeds", async () => {
    const endpoint = tokenEndpoint((n) => {
      if (n === 1) throw new TypeError("fetch failed");
      return undefined;
    });
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    assert.equal(await source.token(), "token-2");
    assert.equal(endpoint.state.requests, 2);
  });

  it("gives up after retry.limit retries with the last error", async () => {
    const sleeps: number[] = [];
    const endpoint = tokenEndpoint(() => new Response(null, { status: 503 }));
    const source = clientCredentialsSource(
      settingsOf({ fetch: endpoint.fetch, retry: { limit: 2 } }, sleeps),
      new TokenCache(),
    );
    await assert.rejects(source.token(), { code: "ERR_TOKEN_REJECTED", status: 503 });
    assert.equal(endpoint.state.requests, 3);
    assert.equal(sleeps.length, 2);
  });

  it("does not retry with retry: false", async () => {
    const endpoint = tokenEndpoint(() => new Response(null, { status: 503 }));
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch, retry: false }), new TokenCache());
    await assert.rejects(source.token(), { code: "ERR_TOKEN_REJECTED", status: 503 });
    assert.equal(endpoint.state.requests, 1);
  });

  it("waits as Retry-After says, capped at retry.maxDelay", async () => {
    const sleeps: number[] = [];
    const endpoint = tokenEndpoint((n) =>
      n <= 2 ? new Response(null, { status: 429, headers: { "retry-after": n === 1 ? "7" : "120" } }) : undefined
    );
    const source = clientCredentialsSource(
      settingsOf({ fetch: endpoint.fetch, retry: { maxDelay: 30_000 } }, sleeps),
      new TokenCache(),
    );
    assert.equal(await source.token(), "token-3");
    assert.deepEqual(sleeps, [7_000, 30_000]);
  });

  it("starts no retry whose wait would end after the caller's deadline", async () => {
    const sleeps: number[] = [];
    const endpoint = tokenEndpoint(() => new Response(null, { status: 503, headers: { "retry-after": "5" } }));
    const source = clientCredentialsSource(
      settingsOf({ fetch: endpoint.fetch, now: () => NOW }, sleeps),
      new TokenCache(),
    );
    await assert.rejects(source.token({ deadline: NOW + 1_000 }), { code: "ERR_TOKEN_REJECTED", status: 503 });
    assert.equal(endpoint.state.requests, 1);
    assert.deepEqual(sleeps, []);
  });

  it("does not retry invalid_client", async () => {
    const sleeps: number[] = [];
    const endpoint = tokenEndpoint(() =>
      Response.json({ error: "invalid_client", error_description: "wrong secret" }, { status: 401 })
    );
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }, sleeps), new TokenCache());
    await assert.rejects(source.token(), { code: "ERR_TOKEN_REJECTED", status: 401, error: "invalid_client" });
    assert.equal(endpoint.state.requests, 1);
    assert.deepEqual(sleeps, []);
  });

  it("does not retry a 429 or 5xx that names an OAuth error no retry can fix", async () => {
    const answers: [string, () => Response][] = [
      ["invalid_scope", () => Response.json({ error: "invalid_scope" }, { status: 429 })],
      [
        "invalid_client",
        () => new Response(null, { status: 500, headers: { "www-authenticate": `Basic error="invalid_client"` } }),
      ],
      [
        "unauthorized_client",
        () => new Response(null, { status: 503, headers: { "www-authenticate": `Basic error="unauthorized_client"` } }),
      ],
    ];
    for (const [error, answer] of answers) {
      const endpoint = tokenEndpoint(answer);
      const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
      await assert.rejects(source.token(), { code: "ERR_TOKEN_REJECTED", error });
      assert.equal(endpoint.state.requests, 1, error);
    }
  });

  it("retries a 429 or 5xx with another OAuth error", async () => {
    const endpoint = tokenEndpoint((n) =>
      n === 1 ? Response.json({ error: "temporarily_unavailable" }, { status: 429 }) : undefined
    );
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    assert.equal(await source.token(), "token-2");
  });

  it("does not retry an invalid 200 answer", async () => {
    const endpoint = tokenEndpoint(() => Response.json({ access_token: "t", token_type: "DPoP", expires_in: 60 }));
    const source = clientCredentialsSource(settingsOf({ fetch: endpoint.fetch }), new TokenCache());
    await assert.rejects(source.token(), { code: "ERR_TOKEN_RESPONSE" });
    assert.equal(endpoint.state.requests, 1);
  });

  it("tries a background renewal once, keeping the valid token (grace)", async () => {
    let time = NOW;
    const sleeps: number[] = [];
    const grace = deferred();
    const events: RapidataEvent[] = [];
    const endpoint = tokenEndpoint((n) => n > 1 ? new Response(null, { status: 503 }) : undefined);
    const source = clientCredentialsSource(
      settingsOf({
        fetch: endpoint.fetch,
        now: () => time,
        onEvent: (event) => {
          events.push(event);
          if (event.type === "grace") grace.resolve();
        },
      }, sleeps),
      new TokenCache(),
    );
    assert.equal(await source.token(), "token-1");
    time = NOW + 3_541_000; // inside the 60 s leeway
    assert.equal(await source.token(), "token-1"); // at once, the renewal runs in the background
    await grace.promise;
    assert.equal(endpoint.state.requests, 2);
    assert.deepEqual(sleeps, []);
    assert.deepEqual(events.find((event) => event.type === "grace"), {
      type: "grace",
      expiresIn: 59,
      code: "ERR_TOKEN_REJECTED",
      status: 503,
    });
  });
});

describe("cacheKey", () => {
  const grant = (overrides: Partial<GrantSettings> = {}): GrantSettings => ({
    tokenEndpoint: "https://auth.example/connect/token",
    issuer: "https://auth.example/",
    clientId: "client-1",
    clientSecret: "s3cr3t-value-1",
    scope: "openid email api",
    clientAuthentication: "client_secret_basic",
    fetch: globalThis.fetch,
    timeout: 30_000,
    now: Date.now,
    ...overrides,
  });

  it("is the same for the same credential set", async () => {
    assert.equal(await cacheKey(grant()), await cacheKey(grant()));
  });

  it("differs per secret, scope, client and endpoint", async () => {
    const variants = [
      grant(),
      grant({ clientSecret: "s3cr3t-value-2" }),
      grant({ clientSecret: "s3cr3t-value-1 " }),
      grant({ scope: "openid email" }),
      grant({ scope: "" }),
      grant({ clientId: "client-2" }),
      grant({ tokenEndpoint: "https://auth.other.example/connect/token" }),
      grant({ tokenEndpoint: "http://localhost:8787/connect/token" }),
    ];
    const keys = await Promise.all(variants.map(cacheKey));
    assert.equal(new Set(keys).size, variants.length, keys.join("\n\n"));
  });

  it("does not depend on how the request is made", async () => {
    const other = grant({
      clientAuthentication: "client_secret_post",
      timeout: 1,
      fetch: () => Promise.resolve(new Response()),
      now: () => 0,
    });
    assert.equal(await cacheKey(other), await cacheKey(grant()));
  });

  it("does not contain the secret", async () => {
    for (const clientSecret of ["s3cr3t-value-1", "Q9!xY", "zzzz secret zzzz"]) {
      const key = await cacheKey(grant({ clientSecret, clientId: "id-x", scope: "api" }));
      assert.ok(!key.includes(clientSecret), `${JSON.stringify(clientSecret)} is not in ${JSON.stringify(key)}`);
    }
  });
});

describe("clientCredentialsSource: the audience of stored tokens", () => {
  it("a token loaded from a store keeps its granted scope: no false audience event in the isolate that loads it", async () => {
    const store = memoryStore();
    const events: RapidataEvent[] = [];
    const options = {
      clientId: "store-scope",
      clientSecret: "store-scope-secret",
      scope: "openid email", // requested without api, granted with it
      store,
      onEvent: (event: RapidataEvent) => events.push(event),
      fetch: () =>
        Promise.resolve(
          Response.json({
            access_token: "opaque-granted",
            token_type: "Bearer",
            expires_in: 3600,
            scope: "openid email api",
          }),
        ),
    };
    const sourceOn = (cache: TokenCache) => {
      const resolved = resolveOptions(options);
      return clientCredentialsSource(
        { ...resolved, grant: resolved.grant!, authUrl: resolved.endpoints.authUrl },
        cache,
      );
    };
    assert.equal(await sourceOn(new TokenCache()).token(), "opaque-granted"); // from the token endpoint
    const other = sourceOn(new TokenCache()); // another isolate: from the store
    assert.equal((await other.cached()).stored, true);
    assert.deepEqual(events.filter((event) => event.type === "audience"), []);
    assert.equal(other.lacksAudience("opaque-granted"), false);
  });
});
