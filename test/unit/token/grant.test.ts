/** Unit tests of one client-credentials token request (src/token/grant.ts), against a fake token endpoint. */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { RapidataAuthError, RapidataError, RapidataTimeoutError } from "../../../src/errors.ts";
import { X_CLIENT } from "../../../src/http/transport.ts";
import {
  type GrantSettings,
  MAX_LIFETIME_MS,
  requestToken,
  TOKEN_RESPONSE_LIMIT,
  UNKNOWN_LIFETIME_MS,
} from "../../../src/token/grant.ts";
import { VERSION } from "../../../src/version.ts";

const NOW = 1_700_000_000_000;
const SECRET = "s3cr3t-value-1";

/** A fake token endpoint: answers with `respond`, keeps every request it receives. */
function endpoint(respond: (request: Request) => Response | Promise<Response>) {
  const requests: Request[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request.clone());
    return Promise.resolve(respond(request));
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

function settings(fetch: typeof globalThis.fetch, overrides: Partial<GrantSettings> = {}): GrantSettings {
  return {
    tokenEndpoint: "https://auth.example/connect/token",
    issuer: "https://auth.example/",
    clientId: "client-1",
    clientSecret: SECRET,
    scope: "openid email api",
    clientAuthentication: "client_secret_basic",
    fetch,
    timeout: 5_000,
    now: () => NOW,
    ...overrides,
  };
}

/** Requests a token from an endpoint that answers `response` (a fresh one per request). */
function tokenFrom(response: () => Response, overrides: Partial<GrantSettings> = {}) {
  return requestToken(settings(endpoint(response).fetch, overrides));
}

/** A 200 answer of `text` with `contentType` (none when `null`). */
function raw(text: string, contentType: string | null = "application/json"): Response {
  const headers: Record<string, string> = contentType === null ? {} : { "content-type": contentType };
  return new Response(new TextEncoder().encode(text), { status: 200, headers });
}

const ok = (extra: Record<string, unknown> = {}) => () =>
  Response.json({ access_token: "token-1", token_type: "Bearer", expires_in: 3600, ...extra });

function base64url(text: string): string {
  return btoa(text).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/** An unsigned compact JWS with `claims` (the client never verifies one). */
function jwt(claims: Record<string, unknown>): string {
  return `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}.c2ln`;
}

/** The id and secret of a Basic Authorization header (each form-urlencoded, RFC 6749 §2.3.1). */
function basicCredentials(authorization: string): string[] {
  assert.match(authorization, /^Basic [A-Za-z0-9+/]+=*$/);
  const parts = atob(authorization.slice(6)).split(":");
  assert.equal(parts.length, 2, "one colon: those of id and secret are encoded");
  return parts.map((part) => decodeURIComponent(part.replace(/\+/g, " ")));
}

/** Asserts a RapidataAuthError with `code` and the other fields given. */
function authError(
  code: string,
  fields: { status?: number; error?: string; errorDescription?: string; message?: RegExp } = {},
) {
  return (error: unknown) => {
    assert.ok(error instanceof RapidataAuthError, `a RapidataAuthError, not ${String(error)}`);
    assert.equal(error.code, code);
    if ("status" in fields) assert.equal(error.status, fields.status);
    if ("error" in fields) assert.equal(error.error, fields.error);
    if ("errorDescription" in fields) assert.equal(error.errorDescription, fields.errorDescription);
    if (fields.message) assert.match(error.message, fields.message);
    assert.ok(!error.message.includes(SECRET), "no secret in the message");
    assert.ok(!JSON.stringify(error).includes(SECRET), "no secret in the JSON");
    return true;
  };
}

describe("requestToken: the request on the wire", () => {
  it("client_secret_basic: POSTs the grant to the token endpoint with Basic credentials", async () => {
    const fake = endpoint(ok());
    await requestToken(settings(fake.fetch));
    assert.equal(fake.requests.length, 1);
    const request = fake.requests[0]!;
    assert.equal(request.method, "POST");
    assert.equal(request.url, "https://auth.example/connect/token");
    assert.equal(request.redirect, "manual");
    assert.match(request.headers.get("content-type")!, /^application\/x-www-form-urlencoded/);
    assert.equal(request.headers.get("accept"), "application/json");
    const authorization = request.headers.get("authorization")!;
    assert.match(authorization, /^Basic /);
    assert.deepEqual(basicCredentials(authorization), ["client-1", SECRET]);
    const form = new URLSearchParams(await request.text());
    assert.deepEqual(Object.fromEntries(form), { grant_type: "client_credentials", scope: "openid email api" });
  });

  it("client_secret_basic: form-encodes id and secret inside the Basic credentials", async () => {
    const fake = endpoint(ok());
    const clientId = "id:with %+ é";
    const clientSecret = "a:b%20c+d e/f=g&h";
    await requestToken(settings(fake.fetch, { clientId, clientSecret }));
    assert.deepEqual(basicCredentials(fake.requests[0]!.headers.get("authorization")!), [clientId, clientSecret]);
  });

  it("client_secret_post: sends id and secret in the body, no Authorization", async () => {
    const fake = endpoint(ok());
    await requestToken(settings(fake.fetch, { clientAuthentication: "client_secret_post" }));
    const request = fake.requests[0]!;
    assert.equal(request.headers.get("authorization"), null);
    const form = new URLSearchParams(await request.text());
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: "client_credentials",
      scope: "openid email api",
      client_id: "client-1",
      client_secret: SECRET,
    });
  });

  it("sends no scope parameter for an empty scope", async () => {
    const fake = endpoint(ok());
    await requestToken(settings(fake.fetch, { scope: "" }));
    const form = new URLSearchParams(await fake.requests[0]!.text());
    assert.equal(form.has("scope"), false);
    assert.equal(form.get("grant_type"), "client_credentials");
  });

  it("sends the x-client header", async () => {
    const fake = endpoint(ok());
    await requestToken(settings(fake.fetch));
    assert.equal(X_CLIENT, `RapidataFetch/${VERSION}`);
    assert.equal(fake.requests[0]!.headers.get("x-client"), X_CLIENT);
  });

  it("sends to an http: token endpoint (loopback)", async () => {
    const fake = endpoint(ok());
    const token = await requestToken(settings(fake.fetch, {
      tokenEndpoint: "http://127.0.0.1:8787/connect/token",
      issuer: "http://127.0.0.1:8787/",
    }));
    assert.equal(token.token, "token-1");
    assert.equal(fake.requests[0]!.url, "http://127.0.0.1:8787/connect/token");
  });
});

describe("requestToken: the success answer", () => {
  it("resolves to the token with its issue time (the clock before the request) and expiry", async () => {
    assert.deepEqual(await tokenFrom(ok()), { token: "token-1", issuedAt: NOW, expiresAt: NOW + 3_600_000 });
  });

  it("accepts application/json with parameters and in any case", async () => {
    const body = JSON.stringify({ access_token: "t", token_type: "Bearer", expires_in: 60 });
    for (const type of ["application/json; charset=utf-8", "Application/JSON", " application/json ;x=y"]) {
      assert.equal((await tokenFrom(() => raw(body, type))).token, "t", type);
    }
  });

  it("refuses any other content-type, or none", async () => {
    const body = JSON.stringify({ access_token: "t", token_type: "Bearer", expires_in: 60 });
    for (const type of ["text/plain", "application/problem+json", "application/jsonx", "text/json", "", null]) {
      await assert.rejects(
        tokenFrom(() => raw(body, type)),
        authError("ERR_TOKEN_RESPONSE", { status: 200, message: /content-type must be application\/json/ }),
        String(type),
      );
    }
  });

  it("refuses a body that is not JSON", async () => {
    for (const text of ["", "not json", "{", "{'access_token': 't'}"]) {
      await assert.rejects(
        tokenFrom(() => raw(text)),
        authError("ERR_TOKEN_RESPONSE", { message: /body is not JSON/ }),
      );
    }
  });

  it("refuses JSON that is not an object", async () => {
    for (const text of ["null", "[]", '[{"access_token":"t","token_type":"Bearer"}]', '"token"', "42", "true"]) {
      await assert.rejects(
        tokenFrom(() => raw(text)),
        authError("ERR_TOKEN_RESPONSE", { message: /body is not a JSON object/ }),
        text,
      );
    }
  });

  it("accepts an access_token of visible ASCII", async () => {
    for (const token of ["a", "eyJ.abc-_~+/=.sig", "!#$%&'()*,:;<=>?@[]^`{|}~\"\\"]) {
      assert.equal((await tokenFrom(ok({ access_token: token }))).token, token);
    }
  });

  it("refuses an access_token that is missing, empty, not a string or not visible ASCII", async () => {
    for (const access_token of [undefined, "", " ", "a b", "a\tb", "a\nb", "tökén", "a\u007fb", 42, null, ["t"]]) {
      await assert.rejects(
        tokenFrom(ok({ access_token })),
        authError("ERR_TOKEN_RESPONSE", { message: /invalid `access_token` value/ }),
        JSON.stringify(access_token),
      );
    }
  });

  it("accepts token_type Bearer in any case", async () => {
    for (const token_type of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      assert.equal((await tokenFrom(ok({ token_type }))).token, "token-1", token_type);
    }
  });

  it("refuses any other token_type, or none", async () => {
    for (const token_type of [undefined, "", "DPoP", "dpop", "mac", "Bearer ", "Basic", 1, null]) {
      await assert.rejects(
        tokenFrom(ok({ token_type })),
        authError("ERR_TOKEN_RESPONSE", { message: /unsupported `token_type` value/ }),
        JSON.stringify(token_type),
      );
    }
  });

  it("reads expires_in as a number of seconds >= 0, or a numeric string", async () => {
    const cases: [unknown, number][] = [[0, 0], [1, 1_000], [1.5, 1_500], [3600, 3_600_000], ["3600", 3_600_000], [
      "0",
      0,
    ], ["2.5", 2_500]];
    for (const [expires_in, lifetime] of cases) {
      const token = await tokenFrom(ok({ expires_in }));
      assert.equal(token.expiresAt - token.issuedAt, lifetime, JSON.stringify(expires_in));
    }
  });

  it("refuses an expires_in that is negative, not numeric or infinite", async () => {
    for (const expires_in of [-1, "-1", -0.5, "abc", "", "NaN", "Infinity", null, true, [], {}]) {
      await assert.rejects(
        tokenFrom(ok({ expires_in })),
        authError("ERR_TOKEN_RESPONSE", { message: /invalid `expires_in` value/ }),
        JSON.stringify(expires_in),
      );
    }
    const infinite = '{"access_token":"t","token_type":"Bearer","expires_in":1e400}'; // JSON.parse: Infinity
    await assert.rejects(tokenFrom(() => raw(infinite)), authError("ERR_TOKEN_RESPONSE", { message: /expires_in/ }));
  });

  it("refuses a string expires_in with anything but digits and a decimal point", async () => {
    for (const expires_in of ["3600abc", "12px", "0x10", " 60"]) {
      await assert.rejects(
        tokenFrom(ok({ expires_in })),
        authError("ERR_TOKEN_RESPONSE", { message: /invalid `expires_in` value/ }),
        JSON.stringify(expires_in),
      );
    }
  });

  it("ignores an id_token, whatever its shape", async () => {
    const shapes = [
      "not-a-jwt",
      jwt({ iss: "https://someone-else.example/", aud: "other", exp: 1 }),
      42,
      null,
      { nested: true },
      ["a"],
      "",
    ];
    for (const id_token of shapes) {
      assert.deepEqual(
        await tokenFrom(ok({ id_token })),
        { token: "token-1", issuedAt: NOW, expiresAt: NOW + 3_600_000 },
        JSON.stringify(id_token),
      );
    }
  });

  it("ignores other members (scope, refresh_token of any type)", async () => {
    const token = await tokenFrom(ok({ scope: 42, refresh_token: {}, extra: [1] }));
    assert.equal(token.token, "token-1");
  });

  it("reads an answer of exactly 64 KiB, refuses a larger one", async () => {
    assert.equal(TOKEN_RESPONSE_LIMIT, 65_536);
    const sized = (bytes: number) => {
      const start = '{"access_token":"t","token_type":"Bearer","expires_in":60,"pad":"';
      const end = '"}';
      return start + "x".repeat(bytes - start.length - end.length) + end;
    };
    assert.equal(sized(TOKEN_RESPONSE_LIMIT).length, TOKEN_RESPONSE_LIMIT);
    assert.equal((await tokenFrom(() => raw(sized(TOKEN_RESPONSE_LIMIT)))).token, "t");
    await assert.rejects(
      tokenFrom(() => raw(sized(TOKEN_RESPONSE_LIMIT + 1))),
      authError("ERR_TOKEN_RESPONSE", { status: 200, message: /larger than 65536 bytes/ }),
    );
  });

  it("stops reading an endless answer after the bound, cancelling it", async () => {
    let cancelled = false;
    let sent = 0;
    const endless = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            sent += 4_096;
            controller.enqueue(new Uint8Array(4_096).fill(0x20));
          },
          cancel() {
            cancelled = true;
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    await assert.rejects(tokenFrom(endless), authError("ERR_TOKEN_RESPONSE", { message: /larger than/ }));
    assert.ok(cancelled, "the body was cancelled");
    assert.ok(sent <= TOKEN_RESPONSE_LIMIT + 3 * 4_096, `read ${sent} bytes`);
  });
});

describe("requestToken: lifetime", () => {
  it("caps expires_in at MAX_LIFETIME_MS", async () => {
    assert.equal(MAX_LIFETIME_MS, 24 * 3_600_000);
    for (const expires_in of [86_401, 10 * 86_400, 1e12]) {
      const token = await tokenFrom(ok({ expires_in }));
      assert.equal(token.expiresAt, NOW + MAX_LIFETIME_MS, String(expires_in));
    }
    assert.equal((await tokenFrom(ok({ expires_in: 86_400 }))).expiresAt, NOW + MAX_LIFETIME_MS);
    assert.equal((await tokenFrom(ok({ expires_in: 86_399 }))).expiresAt, NOW + MAX_LIFETIME_MS - 1_000);
  });

  const noExpiresIn = (access_token: string) => () => Response.json({ access_token, token_type: "Bearer" });

  it("without expires_in, keeps an opaque token UNKNOWN_LIFETIME_MS", async () => {
    assert.equal(UNKNOWN_LIFETIME_MS, 5 * 60_000);
    const token = await tokenFrom(noExpiresIn("opaque-token"));
    assert.deepEqual(token, { token: "opaque-token", issuedAt: NOW, expiresAt: NOW + UNKNOWN_LIFETIME_MS });
  });

  it("without expires_in, ends a JWT at its exp when that is sooner", async () => {
    const token = await tokenFrom(noExpiresIn(jwt({ exp: NOW / 1000 + 60 })));
    assert.equal(token.expiresAt, NOW + 60_000);
  });

  it("without expires_in, keeps a JWT at most UNKNOWN_LIFETIME_MS, whatever its exp", async () => {
    assert.equal((await tokenFrom(noExpiresIn(jwt({ exp: NOW / 1000 + 3600 })))).expiresAt, NOW + UNKNOWN_LIFETIME_MS);
  });

  it("without expires_in, takes a JWT whose exp has passed as expired at once", async () => {
    assert.equal((await tokenFrom(noExpiresIn(jwt({ exp: NOW / 1000 - 10 })))).expiresAt, NOW);
  });

  it("without expires_in, ignores an exp that is not a number", async () => {
    for (const exp of [undefined, "1700000060", null]) {
      const token = await tokenFrom(noExpiresIn(jwt({ exp })));
      assert.equal(token.expiresAt, NOW + UNKNOWN_LIFETIME_MS, JSON.stringify(exp));
    }
  });

  it("with expires_in, does not read the JWT", async () => {
    const token = await tokenFrom(ok({ access_token: jwt({ exp: NOW / 1000 + 60 }), expires_in: 120 }));
    assert.equal(token.expiresAt, NOW + 120_000);
  });
});

describe("requestToken: errors", () => {
  it("maps an OAuth error in a JSON body, its description redacted", async () => {
    const answer = () =>
      Response.json({ error: "invalid_scope", error_description: "scope nope not allowed" }, { status: 400 });
    await assert.rejects(
      tokenFrom(answer),
      authError("ERR_TOKEN_REJECTED", {
        status: 400,
        error: "invalid_scope",
        errorDescription: "scope nope not allowed",
        message: /^Rapidata token request was rejected \(invalid_scope: scope nope not allowed\)$/,
      }),
    );
    const leaky = () =>
      Response.json({ error: "invalid_client", error_description: `secret ${SECRET} is wrong` }, { status: 401 });
    await assert.rejects(
      tokenFrom(leaky),
      authError("ERR_TOKEN_REJECTED", {
        status: 401,
        error: "invalid_client",
        errorDescription: "secret [redacted] is wrong",
      }),
    );
  });

  it("redacts the secret in the forms it travelled in: URL-encoded, form-encoded, inside Basic credentials", async () => {
    const clientId = "id 1";
    const clientSecret = "a b/c:d+e";
    const forms = [
      encodeURIComponent(clientSecret),
      encodeURIComponent(clientSecret).replace(/%20/g, "+"),
      btoa(
        `${encodeURIComponent(clientId).replace(/%20/g, "+")}:${encodeURIComponent(clientSecret).replace(/%20/g, "+")}`,
      ),
      btoa(`${clientId}:${clientSecret}`),
    ];
    for (const echoed of forms) {
      const answer = () =>
        Response.json({ error: "invalid_client", error_description: `got ${echoed} here` }, { status: 401 });
      const error = await tokenFrom(answer, { clientId, clientSecret }).catch((error: unknown) => error);
      assert.ok(error instanceof RapidataAuthError);
      assert.equal(error.errorDescription, "got [redacted] here", echoed);
      assert.ok(!error.message.includes(echoed));
    }
  });

  it("maps an OAuth error without a description", async () => {
    await assert.rejects(
      tokenFrom(() => Response.json({ error: "unauthorized_client" }, { status: 400 })),
      authError("ERR_TOKEN_REJECTED", {
        status: 400,
        error: "unauthorized_client",
        errorDescription: undefined,
        message: /\(unauthorized_client\)$/,
      }),
    );
  });

  it("maps a WWW-Authenticate challenge that names an error, over the body", async () => {
    const answer = () =>
      Response.json({ error: "from_the_body" }, {
        status: 401,
        headers: {
          "www-authenticate": `Basic realm="auth", error="invalid_client", error_description="bad ${SECRET}"`,
        },
      });
    await assert.rejects(
      tokenFrom(answer),
      authError("ERR_TOKEN_REJECTED", {
        status: 401,
        error: "invalid_client",
        errorDescription: "bad [redacted]",
        message: /\(invalid_client: bad \[redacted\]\)/,
      }),
    );
  });

  it("takes the body's error when the challenge names none", async () => {
    const answer = () =>
      new Response(JSON.stringify({ error: "invalid_client", error_description: "unknown client" }), {
        status: 401,
        headers: { "www-authenticate": `Basic realm="auth"`, "content-type": "application/json" },
      });
    await assert.rejects(
      tokenFrom(answer),
      authError("ERR_TOKEN_REJECTED", { status: 401, error: "invalid_client", errorDescription: "unknown client" }),
    );
  });

  it("maps a challenge without error and without a JSON body to the status", async () => {
    const answer = () => new Response("nope", { status: 401, headers: { "www-authenticate": `Basic realm="auth"` } });
    await assert.rejects(
      tokenFrom(answer),
      authError("ERR_TOKEN_REJECTED", { status: 401, error: undefined, message: /\(HTTP 401\)$/ }),
    );
  });

  it("maps a 5xx without a body to ERR_TOKEN_REJECTED with its status", async () => {
    for (const status of [500, 502, 503, 504]) {
      await assert.rejects(
        tokenFrom(() => new Response(null, { status })),
        authError("ERR_TOKEN_REJECTED", {
          status,
          error: undefined,
          errorDescription: undefined,
          message: new RegExp(`^Rapidata token request was rejected \\(HTTP ${status}\\)$`),
        }),
      );
    }
  });

  it("maps answers without OAuth fields to their status", async () => {
    const answers: [number, () => Response][] = [
      [500, () => new Response("<html>oops</html>", { status: 500, headers: { "content-type": "text/html" } })],
      [400, () => new Response("bad request", { status: 400 })],
      [400, () => Response.json({ message: "no error member" }, { status: 400 })],
      [429, () => new Response(null, { status: 429, headers: { "retry-after": "1" } })],
      [302, () => new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } })],
      [201, () => Response.json({ access_token: "t", token_type: "Bearer" }, { status: 201 })],
    ];
    for (const [status, answer] of answers) {
      await assert.rejects(
        tokenFrom(answer),
        authError("ERR_TOKEN_REJECTED", { status, error: undefined, message: new RegExp(`\\(HTTP ${status}\\)$`) }),
        String(status),
      );
    }
  });

  it("keeps the status of an error answer too large to read", async () => {
    const huge = () => new Response("x".repeat(TOKEN_RESPONSE_LIMIT + 1), { status: 503 });
    await assert.rejects(tokenFrom(huge), authError("ERR_TOKEN_REJECTED", { status: 503, message: /HTTP 503/ }));
  });

  it("keeps the response on the error, out of its JSON", async () => {
    const error = await tokenFrom(() => new Response(null, { status: 503 })).catch((error: unknown) => error);
    assert.ok(error instanceof RapidataAuthError);
    assert.equal(error.response?.status, 503);
    assert.ok(!("response" in JSON.parse(JSON.stringify(error))));
  });

  it("turns a fetch that throws into ERR_NETWORK with the cause", async () => {
    const cause = new TypeError("fetch failed");
    const failing = () => Promise.reject(cause);
    const error = await requestToken(settings(failing)).catch((error: unknown) => error);
    assert.ok(error instanceof RapidataError);
    assert.equal(error.code, "ERR_NETWORK");
    assert.equal((error as Error).cause, cause);
    assert.match(error.message, /could not reach https:\/\/auth\.example\/connect\/token/); // names the host
  });

  it("times out an attempt after the timeout", async () => {
    const never = () => new Promise<Response>(() => {});
    const error = await requestToken(settings(never, { timeout: 20 })).catch((error: unknown) => error);
    assert.ok(error instanceof RapidataTimeoutError);
    assert.equal(error.code, "ERR_TIMEOUT");
    assert.equal(error.timeout, 20);
  });

  it("rejects with the reason of an aborted signal, without a request", async () => {
    const fake = endpoint(ok());
    const reason = new DOMException("stop", "AbortError");
    await assert.rejects(requestToken(settings(fake.fetch), AbortSignal.abort(reason)), (error) => error === reason);
    assert.equal(fake.requests.length, 0);
  });
});
