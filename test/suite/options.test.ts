import assert from "node:assert/strict";
import { createClient, customStore, fromEnv } from "../../mod.ts";
import { newCredentials, stats } from "../support/control.ts";
import { describe, it, standInUrl } from "../support/harness.ts";

const creds = { clientId: "id", clientSecret: "s3cr3t-value" };

describe("createClient options", () => {
  it("derives the endpoints from the environment domain, production by default", () => {
    const production = createClient(creds);
    assert.equal(production.apiUrl, "https://api.rapidata.ai");
    assert.equal(production.tokenEndpoint, "https://auth.rapidata.ai/connect/token");
    const test = createClient({ ...creds, environment: "rabbitdata.ch" });
    assert.equal(test.apiUrl, "https://api.rabbitdata.ch");
    assert.equal(test.tokenEndpoint, "https://auth.rabbitdata.ch/connect/token");
    assert.equal(createClient({ ...creds, environment: "rapidata.dev" }).apiUrl, "https://api.rapidata.dev");
    const overridden = createClient({
      ...creds,
      apiUrl: "https://proxy.example/rapidata/",
      authUrl: "https://id.example",
    });
    assert.equal(overridden.apiUrl, "https://proxy.example/rapidata");
    assert.equal(overridden.tokenEndpoint, "https://id.example/connect/token");
  });

  it("refuses plain http except on loopback", () => {
    for (const apiUrl of ["http://example.com", "http://10.0.0.1", "http://127.0.0.1.nip.io"]) {
      assert.throws(() => createClient({ ...creds, apiUrl }), {
        name: "TypeError",
        message: /"apiUrl" must use https:/,
      });
    }
    assert.throws(() => createClient({ ...creds, authUrl: "http://auth.example" }), /"authUrl" must use https:/);
    for (const url of ["http://localhost:8787", "http://127.0.0.1:1", "http://127.255.0.9", "http://[::1]:3000"]) {
      assert.equal(createClient({ ...creds, apiUrl: url, authUrl: url }).apiUrl, url);
    }
  });

  it("throws precise TypeErrors for misuse", () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /options must be an object/],
      [{}, /give "clientId" and "clientSecret"/],
      [{ clientId: "id" }, /"clientSecret" must be a non-empty string/],
      [{ clientId: "", clientSecret: "s" }, /"clientId" must be a non-empty string/],
      [{ ...creds, token: "t" }, /"token" excludes "clientId" and "clientSecret"/],
      [{ ...creds, expiresAt: 1 }, /"expiresAt" is only allowed together with "token"/],
      [{ ...creds, environment: "https://rapidata.ai" }, /"environment" must be a domain/],
      [{ ...creds, apiUrl: "not a url" }, /"apiUrl" is not an absolute URL/],
      [{ ...creds, apiUrl: "ftp://x.example" }, /"apiUrl" must use https:/],
      [{ ...creds, apiUrl: "https://u:p@x.example" }, /"apiUrl" must not contain credentials/],
      [{ ...creds, apiUrl: "https://x.example/?a=1" }, /"apiUrl" must not contain a query/],
      [{ ...creds, scope: 42 }, /"scope" must be a string/],
      [{ ...creds, clientAuthentication: "private_key_jwt" }, /"clientAuthentication" must be/],
      [{ ...creds, leeway: -1 }, /"leeway" must be a finite number >= 0/],
      [{ ...creds, timeout: 0 }, /"timeout" must be a finite number >= 1/],
      [{ ...creds, timeout: Number.NaN }, /"timeout"/],
      [{ ...creds, fetch: "fetch" }, /"fetch" must be a function/],
      [{ ...creds, headers: { Authorization: "Bearer x" } }, /"headers" must not contain Authorization/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => createClient(options as never), (error: unknown) => {
        assert.ok(error instanceof TypeError, `TypeError for ${JSON.stringify(options)}`);
        assert.match(error.message, message);
        assert.ok(!error.message.includes("s3cr3t-value"));
        return true;
      });
    }
  });

  it("does not mutate the caller's options or headers", () => {
    const headers = new Headers({ "x-a": "1" });
    const options = Object.freeze({ ...creds, headers, scope: "  openid   api " });
    const client = createClient(options);
    headers.set("x-b", "2");
    assert.deepEqual([...headers], [["x-a", "1"], ["x-b", "2"]]);
    assert.equal(JSON.parse(JSON.stringify(client)).scope, "openid api");
  });

  it("shows only public facts when serialised or inspected", () => {
    const client = createClient({ clientId: "id-1", clientSecret: "super-secret-value" });
    assert.deepEqual(JSON.parse(JSON.stringify(client)), {
      apiUrl: "https://api.rapidata.ai",
      tokenEndpoint: "https://auth.rapidata.ai/connect/token",
      clientId: "id-1",
      scope: "openid email api",
    });
    const inspectNode = (client as unknown as Record<symbol, () => string>)[Symbol.for("nodejs.util.inspect.custom")]!;
    const inspectDeno = (client as unknown as Record<symbol, () => string>)[Symbol.for("Deno.customInspect")]!;
    assert.match(inspectNode(), /^RapidataClient \{/);
    assert.equal(inspectDeno(), inspectNode());
    assert.ok(!inspectNode().includes("super-secret-value"));
  });
});

describe("misspelt options are a TypeError naming the nearest one, before any request", () => {
  const creds = { clientId: "id", clientSecret: "secret" };
  const throwsNaming = (run: () => unknown, message: RegExp) =>
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.match(error.message, message);
      return true;
    });

  it("createClient, retry, fromEnv", () => {
    throwsNaming(
      () => createClient({ ...creds, timout: 5000 } as never),
      /^createClient: "timout" is not an option\. Did you mean "timeout"\?$/,
    );
    throwsNaming(
      () => createClient({ ...creds, retry: { limt: 3 } } as never),
      /"retry\.limt" is not an option\. Did you mean "retry\.limit"\?/,
    );
    throwsNaming(() => createClient({ ...creds, ClientID: "x" } as never), /Did you mean "clientId"\?/);
    throwsNaming(() => createClient({ ...creds, whatever: 1 } as never), /^createClient: "whatever" is not an option$/);
    throwsNaming(
      () =>
        fromEnv({ RAPIDATA_CLIENT_ID: "id", RAPIDATA_CLIENT_SECRET: "s" }, { enviroment: "rabbitdata.ch" } as never),
      /^fromEnv: "enviroment" is not an option\. Did you mean "environment"\?/,
    );
  });

  it("request options of the JSON helpers and accessToken", async () => {
    let calls = 0;
    const rapidata = createClient({ ...creds, fetch: () => (calls++, Promise.resolve(new Response("{}"))) });
    for (
      const call of [
        () => rapidata.get("/orders", { qeury: { page: 1 } } as never),
        () => rapidata.post("/orders", {}, { header: {} } as never),
        () => rapidata.delete("/orders", { deadlien: 1 } as never),
        () => rapidata.accessToken({ singal: undefined } as never),
      ]
    ) {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, /is not an option\. Did you mean "(query|headers|deadline|signal)"\?/);
        return true;
      });
    }
    assert.equal(calls, 0, "no request was made");
  });

  it("a fixed token a header cannot carry is a TypeError that does not quote it", () => {
    for (const token of ["secret-part\nrest", "with space", "tab\there", "é-token"]) {
      assert.throws(() => createClient({ token }), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /"token" must be a non-empty string of visible ASCII/);
        assert.ok(!error.message.includes("secret-part") && !error.message.includes(token), error.message);
        return true;
      });
    }
  });

  it("customStore names a misspelt method, and leaves a store's other members alone", () => {
    const get = () => Promise.resolve(null);
    const set = () => Promise.resolve();
    throwsNaming(
      () => customStore({ get, set, delet: set } as never),
      /"delet" is not a store method\. Did you mean "delete"\?/,
    );
    assert.equal(typeof customStore({ get, set, client: {}, ttl: 5 } as never).bind, "function");
  });

  it("expiresAt in milliseconds is refused: it is epoch seconds", () => {
    throwsNaming(() => createClient({ token: "t", expiresAt: Date.now() + 60_000 }), /"expiresAt" is in epoch seconds/);
    assert.equal(typeof createClient({ token: "t", expiresAt: Date.now() / 1000 + 60 }).fetch, "function");
  });
});

describe("a client secret in a web page", () => {
  /** Runs `body` with a browser document's globals (a window that has a document), restored afterwards. */
  function inBrowserPage(body: () => void): void {
    const g = globalThis as { window?: unknown };
    const had = Object.getOwnPropertyDescriptor(g, "window");
    Object.defineProperty(g, "window", { value: { document: {} }, configurable: true, writable: true });
    try {
      body();
    } finally {
      if (had) Object.defineProperty(g, "window", had);
      else delete g.window;
    }
  }

  it("is refused unless dangerouslyAllowBrowser is passed; a fixed token stays allowed", () => {
    inBrowserPage(() => {
      assert.throws(() => createClient({ clientId: "id", clientSecret: "secret" }), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /"clientSecret" in a web page is public.*dangerouslyAllowBrowser: true/);
        return true;
      });
      assert.equal(
        typeof createClient({ clientId: "id", clientSecret: "s", dangerouslyAllowBrowser: true }).fetch,
        "function",
      );
      assert.equal(typeof createClient({ token: "t" }).fetch, "function");
    });
    // Outside a browser document (this runtime) a secret is fine.
    assert.equal(typeof createClient({ clientId: "id", clientSecret: "secret" }).fetch, "function");
  });
});

describe("fromEnv", () => {
  it("builds a working client from a Workers-style env object", async () => {
    const { clientId, clientSecret } = await newCredentials();
    const env = {
      RAPIDATA_CLIENT_ID: clientId,
      RAPIDATA_CLIENT_SECRET: clientSecret,
      RAPIDATA_ENVIRONMENT: "",
      OTHER: 1,
    };
    const rapidata = fromEnv({ ...env, RAPIDATA_API_URL: standInUrl, RAPIDATA_AUTH_URL: standInUrl });
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.equal((await stats(clientId)).tokenRequests, 1);
  });

  it("reads RAPIDATA_ENVIRONMENT; empty strings count as unset", () => {
    const env = { RAPIDATA_CLIENT_ID: "id", RAPIDATA_CLIENT_SECRET: "s", RAPIDATA_ENVIRONMENT: "rabbitdata.ch" };
    assert.equal(fromEnv(env).tokenEndpoint, "https://auth.rabbitdata.ch/connect/token");
    assert.equal(fromEnv({ ...env, RAPIDATA_ENVIRONMENT: "" }).apiUrl, "https://api.rapidata.ai");
    assert.equal(fromEnv({ ...env, RAPIDATA_API_URL: "https://proxy.example" }).apiUrl, "https://proxy.example");
    assert.equal(fromEnv(env, { environment: "rapidata.dev" }).apiUrl, "https://api.rapidata.dev");
  });

  it("one rule: explicit options win, an explicit environment also over the URL variables", () => {
    const env = {
      RAPIDATA_CLIENT_ID: "id",
      RAPIDATA_CLIENT_SECRET: "s",
      RAPIDATA_API_URL: "https://proxy.example",
      RAPIDATA_AUTH_URL: "https://auth-proxy.example",
    };
    const explicit = fromEnv(env, { environment: "rabbitdata.ch" });
    assert.deepEqual([explicit.apiUrl, explicit.tokenEndpoint], [
      "https://api.rabbitdata.ch",
      "https://auth.rabbitdata.ch/connect/token",
    ]);
    const open = fromEnv(env);
    assert.deepEqual([open.apiUrl, open.tokenEndpoint], [
      "https://proxy.example",
      "https://auth-proxy.example/connect/token",
    ]);
    assert.equal(fromEnv(env, { apiUrl: "https://mine.example" }).apiUrl, "https://mine.example");
  });

  it("a variable with a bad value is a TypeError that names the variable, not the option", () => {
    const creds = { RAPIDATA_CLIENT_ID: "id", RAPIDATA_CLIENT_SECRET: "s" };
    const cases: [Record<string, string>, RegExp][] = [
      [{ RAPIDATA_API_URL: "http://proxy.example" }, /^fromEnv: RAPIDATA_API_URL must use https:/],
      [{ RAPIDATA_AUTH_URL: "not a url" }, /^fromEnv: RAPIDATA_AUTH_URL is not an absolute URL/],
      [{ RAPIDATA_ENVIRONMENT: "https://rapidata.ai" }, /^fromEnv: RAPIDATA_ENVIRONMENT must be a domain/],
    ];
    for (const [variables, message] of cases) {
      assert.throws(() => fromEnv({ ...creds, ...variables }), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        assert.ok(!/"apiUrl"|"authUrl"|"environment"/.test(error.message), error.message);
        return true;
      });
    }
    // An explicit option is checked as an option.
    assert.throws(() => fromEnv(creds, { apiUrl: "http://proxy.example" }), /"apiUrl" must use https:/);
  });

  it("names the missing variable", () => {
    assert.throws(() => fromEnv({ RAPIDATA_CLIENT_SECRET: "s" }), { name: "TypeError", message: /RAPIDATA_CLIENT_ID/ });
    assert.throws(() => fromEnv({ RAPIDATA_CLIENT_ID: "id", RAPIDATA_CLIENT_SECRET: "" }), {
      name: "TypeError",
      message: /RAPIDATA_CLIENT_SECRET is not set/,
    });
    assert.throws(() => fromEnv("nope" as never), TypeError);
  });
});
