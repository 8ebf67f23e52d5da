/** Unit tests of the resolution of `createClient` options (src/options.ts), through `resolveOptions`. */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import type { RapidataEvent } from "../../src/events.ts";
import { sleep } from "../../src/http/retry.ts";
import { type ClientOptions, DEFAULT_SCOPE, DEFAULTS, resolveOptions } from "../../src/options.ts";
import { memoryStore } from "../../src/stores/memory.ts";

const creds = { clientId: "client-1", clientSecret: "s3cr3t-value" };

/** Asserts that `options` is refused with a TypeError whose message names `field` (and not the secret). */
function refuses(options: unknown, field: string, rule?: RegExp): void {
  assert.throws(() => resolveOptions(options as ClientOptions), (error: unknown) => {
    assert.ok(error instanceof TypeError, `a TypeError for ${String(field)}`);
    assert.ok(
      error.message.startsWith(`createClient: "${field}" `),
      `"${error.message}" names "${field}"`,
    );
    if (rule) assert.match(error.message, rule);
    assert.ok(!error.message.includes(creds.clientSecret), "no secret in the message");
    return true;
  });
}

describe("DEFAULTS", () => {
  it("holds the documented defaults, frozen", () => {
    assert.deepEqual(DEFAULTS, {
      environment: "rapidata.ai",
      scope: "openid email api",
      clientAuthentication: "client_secret_basic",
      leeway: 60,
      timeout: 30_000,
      retry: { limit: 3, delay: 250, maxDelay: 60_000 },
      stallCap: 5_000,
    });
    assert.equal(DEFAULT_SCOPE, "openid email api");
    assert.ok(Object.isFrozen(DEFAULTS));
    assert.ok(Object.isFrozen(DEFAULTS.retry));
  });
});

describe("resolveOptions: defaults", () => {
  it("resolves every default for client credentials", () => {
    const resolved = resolveOptions({ ...creds });
    assert.deepEqual(resolved.endpoints, {
      apiUrl: "https://api.rapidata.ai",
      apiOrigin: "https://api.rapidata.ai",
      authUrl: "https://auth.rapidata.ai",
      tokenEndpoint: "https://auth.rapidata.ai/connect/token",
      issuer: "https://auth.rapidata.ai/",
      audience: "https://api.rapidata.ai",
    });
    const grant = resolved.grant!;
    assert.equal(grant.tokenEndpoint, "https://auth.rapidata.ai/connect/token");
    assert.equal(grant.issuer, "https://auth.rapidata.ai/");
    assert.equal(grant.clientId, "client-1");
    assert.equal(grant.clientSecret, "s3cr3t-value");
    assert.equal(grant.scope, "openid email api");
    assert.equal(grant.clientAuthentication, "client_secret_basic");
    assert.equal(grant.timeout, 30_000);
    assert.equal(grant.now, Date.now);
    assert.equal(resolved.fixed, undefined);
    assert.deepEqual(resolved.renewal, { leeway: 60, stallAfter: 5_100 });
    assert.equal(resolved.transport.timeout, 30_000);
    assert.equal(resolved.transport.apiOrigin, "https://api.rapidata.ai");
    assert.deepEqual([...resolved.transport.headers], []);
    assert.equal(resolved.retry.limit, 3);
    assert.equal(resolved.retry.delay, 250);
    assert.equal(resolved.retry.maxDelay, 60_000);
    assert.equal(resolved.retry.sleep, sleep);
    assert.equal(resolved.retry.now, Date.now);
    assert.equal(resolved.now, Date.now);
    assert.equal(resolved.store, undefined);
    assert.equal(resolved.waitUntil, undefined);
  });

  it("derives the endpoints from the environment", () => {
    const resolved = resolveOptions({ ...creds, environment: "rabbitdata.ch" });
    assert.equal(resolved.endpoints.apiUrl, "https://api.rabbitdata.ch");
    assert.equal(resolved.grant!.tokenEndpoint, "https://auth.rabbitdata.ch/connect/token");
    assert.equal(resolved.grant!.issuer, "https://auth.rabbitdata.ch/");
    assert.equal(resolved.transport.apiOrigin, "https://api.rabbitdata.ch");
  });

  it("takes the given values over the defaults", () => {
    const now = () => 42;
    const sleeper = () => Promise.resolve();
    const resolved = resolveOptions({
      ...creds,
      scope: "api",
      clientAuthentication: "client_secret_post",
      leeway: 0,
      timeout: 1_000,
      retry: { limit: 1, delay: 10, maxDelay: 20 },
      now,
      sleep: sleeper,
      headers: { "x-extra": "1" },
    });
    assert.equal(resolved.grant!.scope, "api");
    assert.equal(resolved.grant!.clientAuthentication, "client_secret_post");
    assert.equal(resolved.grant!.timeout, 1_000);
    assert.equal(resolved.grant!.now, now);
    assert.deepEqual(resolved.renewal, { leeway: 0, stallAfter: 1_100 });
    assert.equal(resolved.transport.timeout, 1_000);
    assert.deepEqual([...resolved.transport.headers], [["x-extra", "1"]]);
    assert.equal(resolved.retry.limit, 1);
    assert.equal(resolved.retry.delay, 10);
    assert.equal(resolved.retry.maxDelay, 20);
    assert.equal(resolved.retry.now, now);
    assert.equal(resolved.retry.sleep, sleeper);
    assert.equal(resolved.now, now);
  });

  it("fills in the retry defaults a partial retry object leaves out", () => {
    const retry = resolveOptions({ ...creds, retry: { delay: 5 } }).retry;
    assert.deepEqual([retry.limit, retry.delay, retry.maxDelay], [3, 5, 60_000]);
  });

  it("turns retries off with retry: false", () => {
    const retry = resolveOptions({ ...creds, retry: false }).retry;
    assert.deepEqual([retry.limit, retry.delay, retry.maxDelay], [0, 250, 60_000]);
  });

  it("sets stallAfter to min(timeout, 5000) + 100", () => {
    for (const [timeout, stallAfter] of [[1, 101], [1_000, 1_100], [5_000, 5_100], [5_001, 5_100], [30_000, 5_100]]) {
      assert.equal(resolveOptions({ ...creds, timeout }).renewal.stallAfter, stallAfter, `timeout ${timeout}`);
    }
  });

  it("caps the timeout at the largest timer delay", () => {
    const resolved = resolveOptions({ ...creds, timeout: 1e12 });
    assert.equal(resolved.transport.timeout, 2_147_483_647);
    assert.equal(resolved.grant!.timeout, 2_147_483_647);
  });

  it("timeout: false leaves API calls without a timeout; token requests keep 30 s", () => {
    const resolved = resolveOptions({ ...creds, timeout: false });
    assert.equal(resolved.transport.timeout, undefined);
    assert.equal(resolved.grant!.timeout, 30_000);
    assert.equal(resolved.renewal.stallAfter, 5_100);
    assert.equal(resolved.transport.native, true);
    assert.equal(resolveOptions({ ...creds, fetch: (input) => fetch(input) }).transport.native, false);
  });

  it("normalises the whitespace of scope", () => {
    const cases: [string, string][] = [
      ["  openid   api ", "openid api"],
      ["openid\temail\n\napi", "openid email api"],
      ["api", "api"],
      ["   ", ""],
      ["", ""],
    ];
    for (const [scope, expected] of cases) {
      assert.equal(resolveOptions({ ...creds, scope }).grant!.scope, expected, JSON.stringify(scope));
    }
  });

  it("passes the runtime's waitUntil through", () => {
    const waitUntil = (_promise: Promise<unknown>) => {};
    assert.equal(resolveOptions({ ...creds }, { waitUntil }).waitUntil, waitUntil);
    assert.equal(resolveOptions({ token: "t" }, { waitUntil }).waitUntil, waitUntil);
    assert.equal(resolveOptions({ ...creds }, {}).waitUntil, undefined);
  });

  it("keeps a store that comes from an adapter", () => {
    const store = memoryStore();
    assert.equal(resolveOptions({ ...creds, store }).store, store);
  });

  it("sends events to onEvent, and ignores its exceptions", () => {
    const seen: RapidataEvent[] = [];
    const resolved = resolveOptions({ ...creds, onEvent: (event) => seen.push(event) });
    const event: RapidataEvent = { type: "replay", status: 401 };
    resolved.emit(event);
    resolved.retry.emit(event);
    assert.deepEqual(seen, [event, event]);
    const throwing = resolveOptions({
      ...creds,
      onEvent: () => {
        throw new Error("the hook's problem");
      },
    });
    throwing.emit(event); // does not throw
    resolveOptions({ ...creds }).emit(event); // no hook: a no-op
  });
});

describe("resolveOptions: a fixed token", () => {
  it("sets fixed, with expiresAt in ms, and no grant", () => {
    const resolved = resolveOptions({ token: "fixed-token", expiresAt: 1_700_000_000 });
    assert.deepEqual(resolved.fixed, { token: "fixed-token", expiresAt: 1_700_000_000_000 });
    assert.equal(resolved.grant, undefined);
    assert.ok(Object.isFrozen(resolved.fixed));
  });

  it("has expiresAt Infinity without an expiresAt", () => {
    assert.deepEqual(resolveOptions({ token: "fixed-token" }).fixed, { token: "fixed-token", expiresAt: Infinity });
  });

  it("accepts expiresAt 0 (an expired token)", () => {
    assert.equal(resolveOptions({ token: "t", expiresAt: 0 }).fixed!.expiresAt, 0);
  });

  it("drops the store", () => {
    assert.equal(resolveOptions({ token: "fixed-token", store: memoryStore() }).store, undefined);
  });

  it("still resolves endpoints and transport", () => {
    const resolved = resolveOptions({ token: "t", environment: "rapidata.dev", timeout: 2_000 });
    assert.equal(resolved.endpoints.apiUrl, "https://api.rapidata.dev");
    assert.equal(resolved.transport.apiOrigin, "https://api.rapidata.dev");
    assert.equal(resolved.transport.timeout, 2_000);
  });
});

describe("resolveOptions: freezing and the caller's object", () => {
  it("freezes the result and each of its parts", () => {
    const resolved = resolveOptions({ ...creds });
    for (
      const [name, part] of Object.entries({
        resolved,
        endpoints: resolved.endpoints,
        grant: resolved.grant,
        renewal: resolved.renewal,
        transport: resolved.transport,
        retry: resolved.retry,
      })
    ) {
      assert.ok(Object.isFrozen(part), `${name} is frozen`);
    }
    assert.throws(() => {
      (resolved.grant as { clientSecret: string }).clientSecret = "changed";
    }, TypeError);
    assert.equal(resolved.grant!.clientSecret, "s3cr3t-value");
  });

  it("does not change the caller's options (a deeply frozen object resolves)", () => {
    const headers = Object.freeze({ "x-a": "1" });
    const retry = Object.freeze({ limit: 1 });
    const options = Object.freeze({ ...creds, scope: "  openid   api ", headers, retry });
    const resolved = resolveOptions(options);
    assert.deepEqual(options, { ...creds, scope: "  openid   api ", headers: { "x-a": "1" }, retry: { limit: 1 } });
    assert.equal(resolved.grant!.scope, "openid api");
  });

  it("keeps nothing of the caller's object: mutating it afterwards changes nothing", async () => {
    const calls: string[] = [];
    const first = () => {
      calls.push("first");
      return Promise.resolve(new Response("first"));
    };
    const headers = new Headers({ "x-a": "1" });
    const options: ClientOptions = {
      ...creds,
      scope: "api",
      leeway: 10,
      timeout: 1_000,
      retry: { limit: 1, delay: 5, maxDelay: 50 },
      headers,
      fetch: first,
    };
    const resolved = resolveOptions(options);
    options.clientId = "other";
    options.clientSecret = "other-secret";
    options.scope = "openid";
    options.leeway = 99;
    options.timeout = 9_999;
    (options.retry as { limit: number; delay: number }).limit = 9;
    (options.retry as { limit: number; delay: number }).delay = 99;
    options.fetch = () => {
      calls.push("second");
      return Promise.resolve(new Response("second"));
    };
    headers.set("x-a", "changed");
    headers.set("x-b", "2");
    assert.equal(resolved.grant!.clientId, "client-1");
    assert.equal(resolved.grant!.clientSecret, "s3cr3t-value");
    assert.equal(resolved.grant!.scope, "api");
    assert.equal(resolved.renewal.leeway, 10);
    assert.equal(resolved.transport.timeout, 1_000);
    assert.equal(resolved.retry.limit, 1);
    assert.equal(resolved.retry.delay, 5);
    assert.deepEqual([...resolved.transport.headers], [["x-a", "1"]]);
    assert.equal(await (await resolved.transport.fetch("https://x.example/")).text(), "first");
    assert.equal(await (await resolved.grant!.fetch("https://x.example/")).text(), "first");
    assert.deepEqual(calls, ["first", "first"]);
  });
});

describe("resolveOptions: the fetch wrapper", () => {
  it("calls the fetch option with the same arguments and no receiver", async () => {
    const seen: { self: unknown; input: unknown; init: unknown }[] = [];
    const resolved = resolveOptions({
      ...creds,
      fetch: function (this: unknown, input, init) {
        seen.push({ self: this, input, init });
        return Promise.resolve(new Response("ok", { status: 201 }));
      },
    });
    const init = { method: "POST" };
    const response = await resolved.transport.fetch("https://x.example/a", init);
    assert.equal(response.status, 201);
    assert.deepEqual(seen, [{ self: undefined, input: "https://x.example/a", init }]);
    assert.equal(seen[0]!.init, init);
    assert.equal(resolved.grant!.fetch, resolved.transport.fetch);
  });

  it("without a fetch option, calls the global fetch as it is at the time of each call", async () => {
    const original = globalThis.fetch;
    const calls: string[] = [];
    try {
      globalThis.fetch = () => {
        calls.push("at resolve time");
        return Promise.resolve(new Response("a"));
      };
      const resolved = resolveOptions({ ...creds });
      assert.equal(await (await resolved.transport.fetch("https://x.example/")).text(), "a");
      globalThis.fetch = (input) => {
        calls.push(`replaced: ${String(input)}`);
        return Promise.resolve(new Response("b"));
      };
      assert.equal(await (await resolved.transport.fetch("https://x.example/1")).text(), "b");
      assert.equal(await (await resolved.grant!.fetch("https://x.example/2")).text(), "b");
      assert.deepEqual(calls, ["at resolve time", "replaced: https://x.example/1", "replaced: https://x.example/2"]);
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe("resolveOptions: misuse", () => {
  it("refuses anything but an object", () => {
    for (const options of [undefined, null, "options", 42]) {
      assert.throws(() => resolveOptions(options as never), {
        name: "TypeError",
        message: "createClient: options must be an object",
      });
    }
  });

  it("refuses missing credentials", () => {
    assert.throws(() => resolveOptions({}), {
      name: "TypeError",
      message: `createClient: give "clientId" and "clientSecret" (or "token")`,
    });
    refuses({ clientId: "id" }, "clientSecret", /must be a non-empty string/);
    refuses({ clientSecret: "s3cr3t-value" }, "clientId", /must be a non-empty string/);
    refuses({ clientId: "", clientSecret: "s3cr3t-value" }, "clientId");
    refuses({ clientId: "id", clientSecret: "" }, "clientSecret");
    refuses({ clientId: 42, clientSecret: "s3cr3t-value" }, "clientId");
    refuses({ clientId: "id", clientSecret: null }, "clientSecret");
  });

  it("refuses a token together with client credentials, or an empty token", () => {
    refuses({ token: "t", clientId: "id" }, "token", /excludes "clientId" and "clientSecret"/);
    refuses({ token: "t", clientSecret: "s3cr3t-value" }, "token", /excludes/);
    refuses({ token: "t", ...creds }, "token", /excludes/);
    refuses({ token: "" }, "token", /must be a non-empty string/);
    refuses({ token: 42 }, "token");
  });

  it("refuses expiresAt without a token, and a bad expiresAt", () => {
    refuses({ ...creds, expiresAt: 1 }, "expiresAt", /only allowed together with "token"/);
    for (const expiresAt of [-1, Number.NaN, Infinity, "1700000000", null]) {
      refuses({ token: "t", expiresAt }, "expiresAt", /must be a finite number >= 0/);
    }
  });

  it("refuses a scope that is not a string", () => {
    for (const scope of [42, null, ["api"]]) refuses({ ...creds, scope }, "scope", /must be a string/);
  });

  it("refuses fetch, now, onEvent and sleep that are not functions", () => {
    for (const field of ["fetch", "now", "onEvent", "sleep"]) {
      for (const value of ["fn", 1, null, {}]) refuses({ ...creds, [field]: value }, field, /must be a function/);
    }
  });

  it("refuses an unknown clientAuthentication", () => {
    for (const clientAuthentication of ["private_key_jwt", "CLIENT_SECRET_BASIC", "", 1]) {
      refuses(
        { ...creds, clientAuthentication },
        "clientAuthentication",
        /"client_secret_basic" or "client_secret_post"/,
      );
    }
  });

  it("refuses a negative, NaN or infinite leeway", () => {
    for (const leeway of [-1, Number.NaN, Infinity, "60", null]) {
      refuses({ ...creds, leeway }, "leeway", /must be a finite number >= 0/);
    }
  });

  it("refuses a timeout below 1, NaN or infinite", () => {
    for (const timeout of [0, 0.5, -1, Number.NaN, Infinity, "1000", true]) {
      refuses({ ...creds, timeout }, "timeout", /must be a finite number >= 1/);
    }
  });

  it("refuses invalid headers, and an Authorization header", () => {
    refuses({ ...creds, headers: [["only-a-name"]] }, "headers", /must be a valid HeadersInit/);
    refuses({ ...creds, headers: { "bad name": "x" } }, "headers", /must be a valid HeadersInit/);
    refuses({ ...creds, headers: { "x-a": "line\nbreak" } }, "headers", /must be a valid HeadersInit/);
    refuses({ ...creds, headers: null }, "headers", /must be a valid HeadersInit/);
    refuses({ ...creds, headers: { Authorization: "Bearer x" } }, "headers", /must not contain Authorization/);
    refuses({ ...creds, headers: new Headers({ authorization: "x" }) }, "headers", /must not contain Authorization/);
    refuses({ token: "t", headers: [["AUTHORIZATION", "x"]] }, "headers", /must not contain Authorization/);
  });

  it("refuses a retry that is neither an object nor false", () => {
    for (const retry of [true, 3, "no"]) refuses({ ...creds, retry }, "retry", /must be an object or false/);
  });

  it("refuses retry: null and clientAuthentication: null (null is not undefined)", () => {
    refuses({ ...creds, retry: null }, "retry", /must be an object or false/);
    refuses({ ...creds, clientAuthentication: null }, "clientAuthentication", /client_secret_basic/);
  });

  it("refuses a negative or NaN retry.limit, retry.delay and retry.maxDelay", () => {
    for (const field of ["limit", "delay", "maxDelay"]) {
      for (const value of [-1, Number.NaN, Infinity, "3"]) {
        refuses({ ...creds, retry: { [field]: value } }, `retry.${field}`, /must be a finite number >= 0/);
      }
    }
  });

  it("refuses a store that does not come from an adapter", () => {
    for (const store of [{}, { bind: "no" }, null, "kv", { get: () => {}, set: () => {}, delete: () => {} }]) {
      refuses({ ...creds, store }, "store", /must come from a store adapter/);
    }
  });

  it("refuses a bad environment", () => {
    for (const environment of ["https://rapidata.ai", "rapidata", "", 42, null]) {
      refuses({ ...creds, environment }, "environment", /must be a domain/);
    }
  });

  it("refuses http: on a non-loopback host, and URLs with credentials, query or fragment", () => {
    refuses({ ...creds, apiUrl: "http://api.example" }, "apiUrl", /must use https:/);
    refuses({ ...creds, authUrl: "http://10.0.0.1" }, "authUrl", /must use https:/);
    refuses({ ...creds, apiUrl: "https://user:pass@api.example" }, "apiUrl", /must not contain credentials/);
    refuses({ ...creds, authUrl: "https://user@auth.example" }, "authUrl", /must not contain credentials/);
    refuses({ ...creds, apiUrl: "https://api.example/?a=1" }, "apiUrl", /must not contain a query or fragment/);
    refuses({ ...creds, authUrl: "https://auth.example/#top" }, "authUrl", /must not contain a query or fragment/);
    refuses({ ...creds, apiUrl: "not a url" }, "apiUrl", /is not an absolute URL/);
  });

  it("checks the endpoints with a fixed token too", () => {
    refuses({ token: "t", apiUrl: "http://api.example" }, "apiUrl", /must use https:/);
    refuses({ token: "t", environment: "nope" }, "environment");
  });
});
