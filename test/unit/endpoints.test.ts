/** Unit tests of the endpoints of an environment and of the URL overrides (src/endpoints.ts). */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { resolveEndpoints } from "../../src/endpoints.ts";

/** Asserts a TypeError naming `field`. */
function refuses(call: () => unknown, field: string, rule: RegExp): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.ok(error.message.startsWith(`createClient: "${field}" `), error.message);
    assert.match(error.message, rule);
    return true;
  });
}

describe("resolveEndpoints: environments", () => {
  it("is production by default", () => {
    assert.deepEqual(resolveEndpoints(undefined), {
      apiUrl: "https://api.rapidata.ai",
      apiOrigin: "https://api.rapidata.ai",
      authUrl: "https://auth.rapidata.ai",
      tokenEndpoint: "https://auth.rapidata.ai/connect/token",
      issuer: "https://auth.rapidata.ai/",
      audience: "https://api.rapidata.ai",
    });
  });

  it("maps each environment domain to api.<env> and auth.<env>", () => {
    for (const environment of ["rapidata.ai", "rabbitdata.ch", "rapidata.dev", "eu.rapidata.example", "my-env.io"]) {
      assert.deepEqual(resolveEndpoints(environment), {
        apiUrl: `https://api.${environment}`,
        apiOrigin: `https://api.${environment}`,
        authUrl: `https://auth.${environment}`,
        tokenEndpoint: `https://auth.${environment}/connect/token`,
        issuer: `https://auth.${environment}/`,
        audience: `https://api.${environment}`,
      });
    }
  });

  it("lowercases the environment", () => {
    assert.equal(resolveEndpoints("RabbitData.CH").apiUrl, "https://api.rabbitdata.ch");
    assert.equal(resolveEndpoints("RabbitData.CH").tokenEndpoint, "https://auth.rabbitdata.ch/connect/token");
  });

  it("refuses what is not a domain", () => {
    const bad = [
      "",
      "rapidata",
      "localhost",
      "https://rapidata.ai",
      "rapidata.ai/",
      "rapidata.ai:443",
      "rapidata.ai/path",
      " rapidata.ai",
      "rapidata.ai ",
      "rapi data.ai",
      "rapidata..ai",
      ".rapidata.ai",
      "rapidata.ai.",
      "rapidata.123",
      "127.0.0.1",
      "user@rapidata.ai",
      42,
      null,
      {},
    ];
    for (const environment of bad) {
      refuses(() => resolveEndpoints(environment), "environment", /must be a domain such as "rapidata\.ai"/);
    }
  });
});

describe("resolveEndpoints: apiUrl and authUrl", () => {
  it("overrides the API base only, keeping a path prefix and dropping trailing slashes", () => {
    const endpoints = resolveEndpoints("rabbitdata.ch", "https://proxy.example:8443/rapidata//");
    assert.equal(endpoints.apiUrl, "https://proxy.example:8443/rapidata");
    assert.equal(endpoints.apiOrigin, "https://proxy.example:8443");
    assert.equal(endpoints.authUrl, "https://auth.rabbitdata.ch");
    assert.equal(endpoints.tokenEndpoint, "https://auth.rabbitdata.ch/connect/token");
  });

  it("overrides the auth base only: token endpoint and issuer follow it", () => {
    const endpoints = resolveEndpoints(undefined, undefined, "https://id.example/tenant/");
    assert.equal(endpoints.apiUrl, "https://api.rapidata.ai");
    assert.equal(endpoints.authUrl, "https://id.example/tenant");
    assert.equal(endpoints.tokenEndpoint, "https://id.example/tenant/connect/token");
    assert.equal(endpoints.issuer, "https://id.example/tenant/");
  });

  it("takes URL objects as well as strings, normalised by the URL parser", () => {
    const endpoints = resolveEndpoints(undefined, new URL("HTTPS://API.Example:443/"), new URL("https://id.example"));
    assert.equal(endpoints.apiUrl, "https://api.example");
    assert.equal(endpoints.apiOrigin, "https://api.example");
    assert.equal(endpoints.tokenEndpoint, "https://id.example/connect/token");
  });

  it("allows http: on loopback hosts", () => {
    const loopback: [string, string][] = [
      ["http://localhost:8787", "http://localhost:8787"],
      ["http://LOCALHOST:8787/", "http://localhost:8787"],
      ["http://api.localhost", "http://api.localhost"],
      ["http://127.0.0.1:1", "http://127.0.0.1:1"],
      ["http://127.255.0.9", "http://127.255.0.9"],
      ["http://127.1:3000", "http://127.0.0.1:3000"],
      ["http://[::1]:3000", "http://[::1]:3000"],
      ["http://[0:0:0:0:0:0:0:1]", "http://[::1]"],
    ];
    for (const [url, expected] of loopback) {
      const endpoints = resolveEndpoints(undefined, url, url);
      assert.equal(endpoints.apiUrl, expected, url);
      assert.equal(endpoints.apiOrigin, expected, url);
      assert.equal(endpoints.tokenEndpoint, `${expected}/connect/token`, url);
    }
  });

  it("refuses http: on any other host, and other protocols", () => {
    const bad = [
      "http://api.example",
      "http://10.0.0.1",
      "http://128.0.0.1",
      "http://127.0.0.1.nip.io",
      "http://localhost.evil.example",
      "http://evillocalhost",
      "http://[::2]",
      "ftp://api.example",
      "ws://localhost",
      "file:///tmp/x",
      "data:text/plain,x",
    ];
    for (const url of bad) {
      refuses(() => resolveEndpoints(undefined, url), "apiUrl", /must use https: \(http: only on loopback\)/);
      refuses(() => resolveEndpoints(undefined, undefined, url), "authUrl", /must use https:/);
    }
  });

  it("refuses what is not an absolute URL", () => {
    for (const url of ["", "/relative", "api.example", "https://", 42, null, {}]) {
      refuses(() => resolveEndpoints(undefined, url), "apiUrl", /is not an absolute URL/);
      refuses(() => resolveEndpoints(undefined, undefined, url), "authUrl", /is not an absolute URL/);
    }
  });

  it("refuses credentials", () => {
    for (const url of ["https://user:pass@api.example", "https://user@api.example", "https://:pass@api.example"]) {
      refuses(() => resolveEndpoints(undefined, url), "apiUrl", /must not contain credentials/);
      refuses(() => resolveEndpoints(undefined, undefined, url), "authUrl", /must not contain credentials/);
    }
  });

  it("refuses a query or a fragment", () => {
    for (const url of ["https://api.example/?a=1", "https://api.example/p?x", "https://api.example/#top"]) {
      refuses(() => resolveEndpoints(undefined, url), "apiUrl", /must not contain a query or fragment/);
      refuses(() => resolveEndpoints(undefined, undefined, url), "authUrl", /must not contain a query or fragment/);
    }
  });

  // An empty query or fragment ("?" or "#" at the end) has `url.search` and `url.hash` "", but stays in
  // the base: every path would be appended after it ("https://auth.example/?/connect/token").
  it("refuses an empty query or fragment", () => {
    for (const url of ["https://api.example/?", "https://api.example/#", "https://api.example/p?#"]) {
      refuses(() => resolveEndpoints(undefined, url), "apiUrl", /must not contain a query or fragment/);
      refuses(() => resolveEndpoints(undefined, undefined, url), "authUrl", /must not contain a query or fragment/);
    }
  });

  it("checks the environment even when both URLs are given", () => {
    refuses(
      () => resolveEndpoints("not a domain", "https://api.example", "https://auth.example"),
      "environment",
      /must be a domain/,
    );
  });
});
