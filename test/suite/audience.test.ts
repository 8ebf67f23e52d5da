/**
 * The audience migration: the audience of a token (JWT `aud`, else the scope), the `audience` event once
 * per token, ERR_AUDIENCE without a replay, the WWW-Authenticate challenge on other 401s, the `audience`
 * option, and the stand-in on both sides of the switch.
 */
import assert from "node:assert/strict";
import { audienceOf, createClient, RapidataApiError, type RapidataEvent } from "../../mod.ts";
import { base64url } from "../../src/internal/base64url.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { revoke, standInClient, stats } from "../support/control.ts";
import { describe, it } from "../support/harness.ts";

const API = "https://api.rapidata.ai";
/** An unsigned JWT-shaped token with these claims (the client reads claims without verifying). */
const jwt = (claims: Record<string, unknown>) =>
  `${base64url(JSON.stringify({ alg: "none" }))}.${base64url(JSON.stringify(claims))}.sig`;

/** A client whose token endpoint hands out `tokens` in turn (with `scope` granted, if given). */
function clientWith(tokens: string[], scope?: string, options: Record<string, unknown> = {}) {
  const events: RapidataEvent[] = [];
  let issued = 0;
  const rapidata = createClient({
    clientId: "id",
    clientSecret: `secret-${Math.random()}`,
    scope: "openid email",
    onEvent: (event) => events.push(event),
    fetch: () => {
      const access_token = tokens[Math.min(issued++, tokens.length - 1)]!;
      return Promise.resolve(
        Response.json({ access_token, token_type: "Bearer", expires_in: 3600, ...(scope !== undefined && { scope }) }),
      );
    },
    ...options,
  });
  return { rapidata, events: () => events.filter((event) => event.type === "audience") };
}

describe("the audience of a token", () => {
  it("audienceOf: JWT aud as a string and as an array; else the scope; else unknown", () => {
    assert.deepEqual(audienceOf(jwt({ aud: API }), API), { audience: [API], ok: true });
    assert.deepEqual(audienceOf(jwt({ aud: ["x", API] }), API, "openid"), { audience: ["x", API], ok: true });
    assert.deepEqual(audienceOf(jwt({ aud: ["https://auth.rapidata.ai/resources"] }), API, "openid email api"), {
      audience: ["https://auth.rapidata.ai/resources"],
      ok: false, // the claims win over the scope
    });
    assert.deepEqual(audienceOf("opaque", API, "openid email api"), { audience: undefined, ok: true });
    assert.deepEqual(audienceOf("opaque", API, "openid email"), { audience: undefined, ok: false });
    assert.deepEqual(audienceOf("opaque", API), { audience: undefined, ok: undefined });
    assert.deepEqual(audienceOf("not.a.jwt", API, "api"), { audience: undefined, ok: true }); // unreadable: the scope
    assert.deepEqual(audienceOf(jwt({ aud: [42] }), API, "api"), { audience: undefined, ok: true }); // garbage: the scope
    assert.deepEqual(audienceOf(jwt({ aud: [] }), API, "api"), { audience: [], ok: false }); // no audience at all
  });

  it("a JWT without the audience: one event per token, not per call, with its audiences", async () => {
    const { rapidata, events } = clientWith([jwt({ aud: "https://auth.rapidata.ai/resources" })]);
    for (let i = 0; i < 3; i++) await rapidata.accessToken();
    assert.deepEqual(events(), [{
      type: "audience",
      expected: API,
      audience: ["https://auth.rapidata.ai/resources"],
      scope: "openid email",
    }]);
  });

  it("a JWT with the audience (string or array): no event", async () => {
    for (const aud of [API, ["other", API]]) {
      const { rapidata, events } = clientWith([jwt({ aud })]);
      await rapidata.accessToken();
      assert.deepEqual(events(), []);
    }
  });

  it("an opaque token: the granted scope decides, else the requested one", async () => {
    const granted = clientWith(["opaque-1"], "openid email api");
    await granted.rapidata.accessToken();
    assert.deepEqual(granted.events(), []); // requested without api, granted with it
    const without = clientWith(["opaque-2"], "openid email");
    await without.rapidata.accessToken();
    assert.deepEqual(without.events(), [{
      type: "audience",
      expected: API,
      audience: undefined,
      scope: "openid email",
    }]);
    const unsaid = clientWith(["opaque-3"], undefined, { scope: "openid email api" });
    await unsaid.rapidata.accessToken();
    assert.deepEqual(unsaid.events(), []);
  });

  it("the audience option sets what is expected; apiUrl does not change it", async () => {
    const custom = clientWith([jwt({ aud: API })], undefined, { audience: "https://api.custom.example" });
    await custom.rapidata.accessToken();
    assert.equal(custom.events().length, 1);
    const proxied = clientWith([jwt({ aud: API })], undefined, { apiUrl: "https://proxy.example" });
    await proxied.rapidata.accessToken();
    assert.deepEqual(proxied.events(), []);
    const test = clientWith([jwt({ aud: "https://api.rabbitdata.ch" })], undefined, { environment: "rabbitdata.ch" });
    await test.rapidata.accessToken();
    assert.deepEqual(test.events(), []); // https://api.<environment>
    assert.throws(() => createClient({ token: "t", audience: "" }), /"audience" must be a non-empty string/);
  });

  it("a fixed token without the audience gets the event once", async () => {
    const events: RapidataEvent[] = [];
    const rapidata = createClient({ token: jwt({ aud: "elsewhere" }), onEvent: (event) => events.push(event) });
    await rapidata.accessToken();
    await rapidata.accessToken();
    assert.deepEqual(events, [{ type: "audience", expected: API, audience: ["elsewhere"], scope: undefined }]);
  });
});

describe("401s that explain themselves", () => {
  it("a token without the audience: ERR_AUDIENCE naming the fix, no renewal or replay (1 token, 3 API calls)", async () => {
    const { rapidata, creds } = await standInClient({ scope: "openid email" });
    for (let i = 0; i < 3; i++) {
      const error = await rapidata.get("/orders").catch((e: unknown) => e);
      assert.ok(error instanceof RapidataApiError, String(error));
      assert.equal(error.code, "ERR_AUDIENCE");
      assert.equal(error.status, 401);
      assert.match(error.message, /lacks the audience https:\/\/api\.rapidata\.ai\. Request the "api" scope/);
      assert.equal(error.challenge?.error, "invalid_token");
    }
    const seen = await stats(creds.clientId);
    assert.deepEqual([seen.tokenRequests, seen.apiCalls], [1, 3]);
    // fetch() hands the 401 back as it is, also without a replay.
    const response = await rapidata.fetch("/orders");
    assert.equal(response.status, 401);
    assert.equal((await stats(creds.clientId)).apiCalls, 4);
  });

  it("other 401s carry the challenge in the error and its message, and are still renewed and replayed once", async () => {
    const { rapidata, creds } = await standInClient({ retry: false });
    await rapidata.accessToken();
    await revoke(creds.clientId); // the stand-in refuses every token issued so far
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1); // renewed and replayed
    assert.deepEqual([(await stats(creds.clientId)).tokenRequests, (await stats(creds.clientId)).apiCalls], [2, 2]);
    // A 401 that persists: the challenge's fields are on the error and in its message.
    await fetch(`${rapidata.apiUrl}/__stand-in/faults?client_id=${encodeURIComponent(creds.clientId)}`, {
      method: "POST",
      body: JSON.stringify({
        api: [{
          status: 401,
          times: 2,
          headers: { "www-authenticate": 'Bearer error="invalid_token", error_description="the token was revoked"' },
        }],
      }),
    });
    const error = await rapidata.get("/orders").catch((e: unknown) => e);
    assert.ok(error instanceof RapidataApiError, String(error));
    assert.equal(error.code, "ERR_API_RESPONSE");
    assert.deepEqual(error.challenge, {
      scheme: "bearer",
      error: "invalid_token",
      error_description: "the token was revoked",
    });
    assert.match(error.message, /HTTP 401: .*the token was revoked/);
  });
});

describe("the audience across clients, stores and revocations", () => {
  it("two clients with the same credentials share what is known: 6 calls, 1 token, 6 API calls, 1 event", async () => {
    const events: RapidataEvent[] = [];
    const first = await standInClient({ scope: "openid email", onEvent: (event) => events.push(event) });
    const second = createClient({
      clientId: first.creds.clientId,
      clientSecret: first.creds.clientSecret,
      apiUrl: first.rapidata.apiUrl,
      authUrl: first.rapidata.apiUrl,
      scope: "openid email",
      onEvent: (event) => events.push(event),
    });
    for (let i = 0; i < 6; i++) {
      const error = await (i % 2 ? second : first.rapidata).get("/orders").catch((e: unknown) => e);
      assert.equal((error as RapidataApiError).code, "ERR_AUDIENCE");
    }
    const seen = await stats(first.creds.clientId);
    assert.deepEqual([seen.tokenRequests, seen.apiCalls], [1, 6]);
    assert.deepEqual(events.map((event) => event.type).sort(), ["audience", "token"]);
  });

  it("before enforcement, a revoked token without the audience is still renewed and replayed", async () => {
    const standIn = createStandIn({ enforceAudience: false });
    const credentials = standIn.addClient();
    const rapidata = createClient({ ...credentials, scope: "openid email", fetch: standIn.fetch });
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    standIn.revokeTokens(credentials.clientId); // "the token was revoked": not an audience refusal
    assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.deepEqual(
      [standIn.stats(credentials.clientId).tokenRequests, standIn.stats(credentials.clientId).apiCalls],
      [2, 3],
    );
  });

  it("a challenge's fields are redacted like the rest of the answer", async () => {
    const { rapidata } = await standInClient({
      fetch: (input, init) => {
        if (String(input).endsWith("/connect/token")) return fetch(input, init);
        const bearer = new Headers(init?.headers).get("authorization")!.slice(7);
        return Promise.resolve(
          new Response(null, {
            status: 401,
            headers: { "www-authenticate": `Bearer error="bad ${bearer}", error_description="got ${bearer}"` },
          }),
        );
      },
      retry: false,
    });
    const token = await rapidata.accessToken();
    const error = await rapidata.get("/orders").catch((e: unknown) => e);
    assert.ok(error instanceof RapidataApiError);
    assert.ok(!JSON.stringify(error).includes(token) && !error.message.includes(token));
    assert.equal(error.challenge?.error, "bad [redacted]");
  });
});

describe("the stand-in on both sides of the switch", () => {
  it("permissive (before enforcement): tokens without the audience work, and the event says what is coming", async () => {
    const standIn = createStandIn({ enforceAudience: false });
    const events: RapidataEvent[] = [];
    const rapidata = createClient({
      ...standIn.addClient({ clientId: "permissive" }),
      scope: "openid email",
      fetch: standIn.fetch,
      onEvent: (event) => events.push(event),
    });
    for (let i = 0; i < 3; i++) assert.equal((await rapidata.get<{ page: number }>("/orders")).page, 1);
    assert.deepEqual(events.filter((event) => event.type === "audience"), [{
      type: "audience",
      expected: API,
      audience: ["https://auth.rapidata.ai/resources"],
      scope: "openid email",
    }]);
  });

  it("enforcing (the default): a token without the audience is refused with an OpenIddict-style challenge", async () => {
    const standIn = createStandIn();
    const rapidata = createClient({ ...standIn.addClient(), scope: "openid email", fetch: standIn.fetch });
    const response = await rapidata.fetch("/orders");
    assert.equal(response.status, 401);
    assert.match(response.headers.get("www-authenticate")!, /^Bearer error="invalid_token", error_description="/);
  });
});
