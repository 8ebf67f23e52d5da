import assert from "node:assert/strict";
import { inspect as nodeInspect } from "node:util";
import {
  createClient,
  isRapidataError,
  RapidataApiError,
  RapidataAuthError,
  RapidataError,
  RapidataTimeoutError,
} from "../../mod.ts";
import { hold, release, standInClient, stats } from "../support/control.ts";
import { describe, inspect, it } from "../support/harness.ts";

/** Every error and client these tests produce, for the leak scan at the end. */
const seen: unknown[] = [];
const secrets: string[] = [];

async function caught(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(() => assert.fail("expected a rejection"), (e: unknown) => e);
  seen.push(error);
  return error;
}

/** Chunks of 16 KiB without end; `pulled` counts what was read of all of them. */
let pulled = 0;
function endless(): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(`{"pad":"${"x".repeat(16 * 1024 - 9)}`);
  return new ReadableStream({
    pull(controller) {
      pulled++;
      controller.enqueue(chunk);
    },
  });
}

/** A client whose token endpoint answers with `answer()`; the API is the real stand-in. */
async function withTokenEndpoint(answer: () => Response | Promise<Response>) {
  const made = await standInClient({
    fetch: (input, init) => String(input).endsWith("/connect/token") ? Promise.resolve(answer()) : fetch(input, init),
  });
  secrets.push(made.creds.clientSecret);
  seen.push(made.rapidata);
  return made;
}

describe("token endpoint errors", () => {
  it("invalid_client over Basic (401 + WWW-Authenticate) is a RapidataAuthError", async () => {
    const { rapidata, creds } = await standInClient({}, {});
    const wrong = createClient({
      clientId: creds.clientId,
      clientSecret: "not-the-secret",
      apiUrl: rapidata.apiUrl,
      authUrl: rapidata.apiUrl,
    });
    const error = await caught(wrong.get("/orders"));
    assert.ok(error instanceof RapidataAuthError);
    assert.ok(error instanceof RapidataError);
    assert.equal(error.name, "RapidataAuthError");
    assert.equal(error.code, "ERR_TOKEN_REJECTED");
    assert.equal(error.error, "invalid_client");
    assert.equal(error.status, 401);
    assert.equal(error.response?.headers.get("www-authenticate")?.startsWith("Basic"), true);
    assert.match(error.message, /invalid_client/);
    secrets.push("not-the-secret");
  });

  it("invalid_client over client_secret_post (JSON body) is a RapidataAuthError", async () => {
    const { rapidata, creds } = await standInClient();
    const wrong = createClient({
      clientId: creds.clientId,
      clientSecret: "wrong-post-secret",
      clientAuthentication: "client_secret_post",
      apiUrl: rapidata.apiUrl,
      authUrl: rapidata.apiUrl,
    });
    const error = await caught(wrong.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.error, error.status, error.errorDescription], [
      "invalid_client",
      401,
      "unknown client or wrong secret",
    ]);
    secrets.push("wrong-post-secret");
  });

  it("invalid_scope carries the code and description", async () => {
    const { rapidata, creds } = await standInClient({ scope: "openid api admin" });
    secrets.push(creds.clientSecret);
    const error = await caught(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.error, error.status], ["invalid_scope", 400]);
    assert.match(error.errorDescription!, /admin/);
  });

  it("a challenge without an error code falls back to the JSON body", async () => {
    await withTokenEndpoint(() => new Response("{}", { status: 401 }));
    const { rapidata } = await withTokenEndpoint(() =>
      Response.json({ error: "unauthorized_client", error_description: "nope" }, {
        status: 401,
        headers: { "www-authenticate": `Basic realm="x"` },
      })
    );
    const error = await caught(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.error, error.errorDescription, error.status], ["unauthorized_client", "nope", 401]);
  });

  it("a 5xx without an OAuth body is ERR_TOKEN_REJECTED with the status", async () => {
    const { rapidata } = await withTokenEndpoint(() => new Response("upstream down", { status: 503 }));
    const error = await caught(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.code, error.status, error.error], ["ERR_TOKEN_REJECTED", 503, undefined]);
  });

  const invalid: [string, () => Response][] = [
    ["a body that is not JSON", () => new Response("<html>", { headers: { "content-type": "application/json" } })],
    ["a non-JSON content type", () => new Response("hello", { headers: { "content-type": "text/plain" } })],
    ["no access_token", () => Response.json({ token_type: "Bearer", expires_in: 60 })],
    ["a token_type other than Bearer", () => Response.json({ access_token: "abcd1234", token_type: "mac" })],
    ["a DPoP token_type", () => Response.json({ access_token: "abcd1234", token_type: "DPoP" })],
    ["a negative expires_in", () => Response.json({ access_token: "abcd1234", token_type: "Bearer", expires_in: -5 })],
    ["a JSON array", () => Response.json([1, 2])],
    ["JSON null", () => Response.json(null)],
    [
      "an expires_in string that is not a number",
      () => Response.json({ access_token: "abcd1234", token_type: "Bearer", expires_in: "3600abc" }),
    ],
    [
      "an expires_in that is not a number",
      () => Response.json({ access_token: "abcd1234", token_type: "Bearer", expires_in: "soon" }),
    ],
    ["an access_token that is not a string", () => Response.json({ access_token: 1234, token_type: "Bearer" })],
    ["an empty access_token", () => Response.json({ access_token: "", token_type: "Bearer" })],
    ["an access_token with a space", () => Response.json({ access_token: "abcd 1234", token_type: "Bearer" })],
    [
      "an access_token with a newline",
      () => Response.json({ access_token: "abcd1234\nX-Evil: 1", token_type: "Bearer" }),
    ],
    ["no token_type", () => Response.json({ access_token: "abcd1234", expires_in: 60 })],
    ["an endless body", () => new Response(endless(), { headers: { "content-type": "application/json" } })],
  ];
  for (const [what, answer] of invalid) {
    it(`${what} is ERR_TOKEN_RESPONSE, never a raw TypeError or SyntaxError`, async () => {
      const { rapidata } = await withTokenEndpoint(answer);
      const error = await caught(rapidata.get("/orders"));
      assert.ok(error instanceof RapidataAuthError, String(error));
      assert.equal(error.code, "ERR_TOKEN_RESPONSE");
      assert.equal(error.status, 200);
      assert.equal(error.cause, undefined);
      secrets.push("abcd1234");
    });
  }

  it("a token response is read up to 64 KiB, then its stream is cancelled", async () => {
    pulled = 0;
    const { rapidata } = await withTokenEndpoint(() =>
      new Response(endless(), { headers: { "content-type": "application/json" } })
    );
    const error = await caught(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.equal(error.code, "ERR_TOKEN_RESPONSE");
    assert.match(error.message, /larger than 65536 bytes/);
    assert.ok(pulled <= 8, `${pulled} chunks of 16 KiB read`); // 64 KiB and what the stream had queued
  });

  it("an endless 503 is the 503 (ERR_TOKEN_REJECTED, retried), read no further than 64 KiB", async () => {
    pulled = 0;
    let requests = 0;
    const { rapidata } = await standInClient({
      retry: { limit: 1, delay: 1 },
      fetch: (input, init) => {
        if (!String(input).endsWith("/connect/token")) return fetch(input, init);
        requests++;
        return Promise.resolve(
          new Response(endless(), { status: 503, headers: { "content-type": "application/json" } }),
        );
      },
    });
    const error = await caught(rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.deepEqual([error.code, error.status, requests], ["ERR_TOKEN_REJECTED", 503, 2]);
    assert.ok(pulled <= 16, `${pulled} chunks of 16 KiB read`);
  });

  it("reads what RFC 6749 allows: any case of Bearer and of the JSON media type, a numeric-string expires_in", async () => {
    const events: unknown[] = [];
    const client = createClient({
      clientId: "id",
      clientSecret: "secret-of-the-case-test",
      fetch: () =>
        Promise.resolve(
          new Response(JSON.stringify({ access_token: "abcd-5678", token_type: "bEaReR", expires_in: "120" }), {
            headers: { "content-type": "Application/JSON; charset=utf-8" },
          }),
        ),
      onEvent: (event) => events.push(event),
    });
    seen.push(client);
    secrets.push("abcd-5678", "secret-of-the-case-test");
    assert.equal(await client.accessToken(), "abcd-5678");
    assert.deepEqual(events, [{ type: "token", renewal: false, expiresIn: 120, stored: false }]);
  });

  it("a token request slower than timeout is a RapidataTimeoutError; the next call succeeds", async () => {
    const { rapidata, creds } = await standInClient({ timeout: 200, retry: false });
    await hold(creds.clientId);
    const error = await caught(rapidata.accessToken());
    assert.ok(error instanceof RapidataTimeoutError);
    assert.deepEqual([error.code, error.timeout], ["ERR_TIMEOUT", 200]);
    await release(creds.clientId);
    assert.equal(typeof await rapidata.accessToken(), "string");
  });

  it("a caller's abort stops only that caller's wait; the token request goes on for others", async () => {
    const { rapidata, creds } = await standInClient();
    await hold(creds.clientId);
    const controller = new AbortController();
    const aborted = rapidata.accessToken({ signal: controller.signal });
    const other = rapidata.accessToken();
    controller.abort();
    const error = await caught(aborted);
    assert.equal((error as Error).name, "AbortError");
    await release(creds.clientId);
    assert.equal(typeof await other, "string");
    assert.equal((await stats(creds.clientId)).tokenRequests, 1);
  });

  it("an API call whose fetch never settles ends with RapidataTimeoutError", async () => {
    const { rapidata } = await standInClient({
      timeout: 150,
      fetch: (input, init) => String(input).endsWith("/connect/token") ? fetch(input, init) : new Promise(() => {}),
    });
    const error = await caught(rapidata.get("/orders"));
    assert.ok(error instanceof RapidataTimeoutError);
    assert.match(error.message, /API request timed out after 150 ms/);
  });

  it("a network failure of the API is ERR_NETWORK with the platform error as cause", async () => {
    const { rapidata } = await standInClient({
      fetch: (input, init) =>
        String(input).endsWith("/connect/token") ? fetch(input, init) : Promise.reject(new TypeError("reset")),
    });
    const error = await caught(rapidata.fetch("/orders"));
    assert.ok(error instanceof RapidataError);
    assert.equal(error.code, "ERR_NETWORK");
    assert.equal((error.cause as Error).message, "reset");

    // A fetch that throws instead of rejecting fails the same way.
    const { rapidata: throwing } = await standInClient({
      fetch: (input, init) => {
        if (String(input).endsWith("/connect/token")) return fetch(input, init);
        throw new TypeError("sync");
      },
    });
    const thrown = await caught(throwing.get("/orders"));
    assert.equal((thrown as RapidataError).code, "ERR_NETWORK");
    assert.equal(((thrown as Error).cause as Error).message, "sync");
  });

  it("an expired fixed token is ERR_TOKEN_EXPIRED; a valid one is used as is", async () => {
    const { rapidata } = await standInClient();
    const token = await rapidata.accessToken();
    secrets.push(token);
    const fixed = createClient({ token, expiresAt: Date.now() / 1000 + 60, apiUrl: rapidata.apiUrl });
    assert.equal((await fixed.get<{ page: number }>("/orders")).page, 1);
    const expired = createClient({ token, expiresAt: Date.now() / 1000 - 1, apiUrl: rapidata.apiUrl });
    seen.push(fixed, expired);
    const error = await caught(expired.get("/orders"));
    assert.ok(error instanceof RapidataAuthError);
    assert.equal(error.code, "ERR_TOKEN_EXPIRED");
  });

  it("isRapidataError recognises every class by name", () => {
    const errors = seen.filter((e) => e instanceof Error && e.name !== "AbortError");
    assert.ok(errors.length > 10);
    assert.ok(errors.every(isRapidataError));
    assert.equal(isRapidataError(new TypeError("x")), false);
    const foreign = Object.assign(new Error("x"), { name: "RapidataApiError", code: "ERR_API_RESPONSE" });
    assert.equal(isRapidataError(foreign), true);
  });
});

describe("secret hygiene", () => {
  it("no error or client shows a secret or token in message, stack, JSON or inspect output", async () => {
    const { rapidata, creds } = await standInClient();
    secrets.push(creds.clientSecret, await rapidata.accessToken());
    seen.push(rapidata);
    assert.ok(seen.length > 20);
    for (const value of seen) {
      const views = [
        nodeInspect(value, { depth: 10, showHidden: true }),
        inspect(value), // Deno.inspect on Deno
        JSON.stringify(value),
        String(value),
      ];
      if (value instanceof Error) views.push(value.message, value.stack ?? "", nodeInspect(value.cause, { depth: 10 }));
      for (const view of views) {
        for (const secret of secrets) assert.ok(!view.includes(secret), `leaked in ${view.slice(0, 200)}`);
      }
    }
  });

  it("redacts the secret a server echoes in the OAuth error, in every form it travelled in", async () => {
    const secret = "s3cr3t+/= value";
    const form = encodeURIComponent(secret).replace(/%20/g, "+");
    const echoes = [
      secret,
      encodeURIComponent(secret),
      form,
      btoa(`echo-client:${form}`), // inside the Basic credentials
    ];
    for (const echo of echoes) {
      for (const where of ["body", "challenge"] as const) {
        const client = createClient({
          clientId: "echo-client",
          clientSecret: secret,
          retry: false,
          fetch: () =>
            Promise.resolve(
              where === "body"
                ? Response.json({ error: `invalid_client ${echo}`, error_description: `got ${echo}` }, { status: 400 })
                : new Response(null, {
                  status: 401,
                  headers: { "www-authenticate": `Bearer error="x${echo}", error_description="got ${echo}"` },
                }),
            ),
        });
        const error = await caught(client.accessToken());
        assert.ok(error instanceof RapidataAuthError);
        for (const view of [error.message, JSON.stringify(error), nodeInspect(error), String(error.error)]) {
          assert.ok(!view.includes(echo), `${where} echo ${echo} leaked in ${view}`);
        }
      }
    }
    secrets.push(...echoes);
  });

  it("a trace id that echoes the bearer token is redacted", async () => {
    const { rapidata } = await standInClient({
      fetch: (input, init) => {
        if (String(input).endsWith("/connect/token")) return fetch(input, init);
        const authorization = new Headers(init?.headers).get("authorization")!;
        return Promise.resolve(
          Response.json({ title: "nope" }, { status: 400, headers: { "x-trace-id": authorization } }),
        );
      },
    });
    const token = await rapidata.accessToken();
    const error = await caught(rapidata.get("/orders"));
    assert.ok(error instanceof RapidataApiError);
    assert.equal(error.traceId, "Bearer [redacted]");
    secrets.push(token);
  });

  it("redacts a secret that a server echoes back in an error description", async () => {
    const echoing = await standInClient({
      fetch: (input, init) =>
        String(input).endsWith("/connect/token")
          ? Promise.resolve(Response.json({
            error: "invalid_client",
            error_description: `bad secret: ${echoing.creds.clientSecret}`,
          }, { status: 400 }))
          : fetch(input, init),
    });
    const error = await caught(echoing.rapidata.accessToken());
    assert.ok(error instanceof RapidataAuthError);
    assert.equal(error.errorDescription, "bad secret: [redacted]");
    assert.ok(!error.message.includes(echoing.creds.clientSecret));
  });
});
