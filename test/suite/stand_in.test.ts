import assert from "node:assert/strict";
import { createClient } from "../../mod.ts";
import { createStandIn } from "../../src/testing/mod.ts";
import { describe, it } from "../support/harness.ts";

const TOKEN = "http://stand-in.test/connect/token";
const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe("the stand-in (in-process handler)", () => {
  const standIn = createStandIn({ clients: [{ clientId: "c 1", clientSecret: "s:%+ 1" }] });

  it("works as a client's fetch option, with no server", async () => {
    const { clientId, clientSecret } = standIn.addClient();
    const rapidata = createClient({ clientId, clientSecret, fetch: standIn.fetch });
    const orders = await rapidata.get<{ total: number; totalPages: number }>("/orders");
    assert.deepEqual([orders.total, orders.totalPages], [25, 3]);
    assert.deepEqual(
      [standIn.stats(clientId).tokenRequests, standIn.stats(clientId).apiCalls, standIn.stats(clientId).lastAuthMethod],
      [1, 1, "basic"],
    );
  });

  it("decodes Basic credentials form-urlencoded first (RFC 6749 §2.3.1)", async () => {
    const encoded = (text: string) => encodeURIComponent(text).replace(/%20/g, "+");
    const ok = await standIn.fetch(TOKEN, {
      ...form({ grant_type: "client_credentials", scope: "api" }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${encoded("c 1")}:${encoded("s:%+ 1")}`)}`,
      },
    });
    assert.equal(ok.status, 200);
    const raw = await standIn.fetch(TOKEN, {
      ...form({ grant_type: "client_credentials" }),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("c 1:s:%+ 1")}` },
    });
    assert.equal(raw.status, 401); // "+" decodes to a space, so the unencoded secret is wrong
    assert.match(raw.headers.get("www-authenticate")!, /^Basic /);
  });

  it("answers OAuth errors as JSON with the right status", async () => {
    const cases: [RequestInit, number, string][] = [
      [form({ grant_type: "client_credentials", client_id: "c 1", client_secret: "nope" }), 401, "invalid_client"],
      [form({ grant_type: "password", client_id: "c 1", client_secret: "s:%+ 1" }), 400, "unsupported_grant_type"],
      [
        form({ grant_type: "client_credentials", client_id: "c 1", client_secret: "s:%+ 1", scope: "api x" }),
        400,
        "invalid_scope",
      ],
      [{ method: "POST", body: "{}", headers: { "content-type": "application/json" } }, 400, "invalid_request"],
    ];
    for (const [init, status, error] of cases) {
      const response = await standIn.fetch(TOKEN, init);
      assert.equal(response.status, status, error);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.equal((await response.json() as { error: string }).error, error);
    }
  });

  it("issues JWT access tokens with the API audience only for the api scope", async () => {
    const issue = async (scope: string) => {
      const response = await standIn.fetch(
        TOKEN,
        form({ grant_type: "client_credentials", client_id: "c 1", client_secret: "s:%+ 1", scope }),
      );
      const body = await response.json() as { access_token: string; expires_in: number; token_type: string };
      assert.deepEqual([body.token_type, body.expires_in], ["Bearer", 3600]);
      return {
        token: body.access_token,
        claims: JSON.parse(atob(body.access_token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))),
      };
    };
    const withApi = await issue("openid email api");
    assert.deepEqual(withApi.claims.aud, ["https://api.rapidata.ai"]);
    const without = await issue("openid email");
    assert.deepEqual(without.claims.aud, ["https://auth.rapidata.ai/resources"]);
    const call = (token?: string) =>
      standIn.fetch("http://stand-in.test/orders", token ? { headers: { authorization: `Bearer ${token}` } } : {});
    assert.equal((await call(withApi.token)).status, 200);
    const refused = await call(without.token);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate")!, /invalid_token/);
    assert.equal((await call()).status, 401);
    assert.equal((await call(`${withApi.token.slice(0, -2)}xx`)).status, 401);
  });

  it("names a misspelt option", () => {
    assert.throws(
      () => createStandIn({ tokenLifetme: 5 } as never),
      /createStandIn: "tokenLifetme" is not an option\. Did you mean "tokenLifetime"\?/,
    );
  });

  it("keeps the expires_in it announced: a token issued mid-second is accepted for all of it", async () => {
    let clock = 1_000_900; // 0.9 s into a second: a floored exp would end the token 0.9 s early
    const timed = createStandIn({ now: () => clock });
    const { clientId, clientSecret } = timed.addClient({ tokenLifetime: 2 });
    const response = await timed.fetch(
      TOKEN,
      form({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }),
    );
    const { access_token: token, expires_in: expiresIn } = await response.json() as {
      access_token: string;
      expires_in: number;
    };
    assert.equal(expiresIn, 2);
    const call = () => timed.fetch("http://stand-in.test/orders", { headers: { authorization: `Bearer ${token}` } });
    clock += expiresIn * 1000 - 1; // the last millisecond of the lifetime the token response announced
    assert.equal((await call()).status, 200);
    clock += 1_001; // past any rounding
    assert.equal((await call()).status, 401);
  });

  it("answers API errors as ProblemDetails with x-trace-id", async () => {
    const { clientId, clientSecret } = standIn.addClient();
    const token = await createClient({ clientId, clientSecret, fetch: standIn.fetch }).accessToken();
    const response = await standIn.fetch("http://stand-in.test/order/none", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    const body = await response.json() as { title: string; status: number; detail: string; traceId: string };
    assert.deepEqual([body.title, body.status], ["Not Found", 404]);
    assert.equal(body.traceId, response.headers.get("x-trace-id"));
  });
});
