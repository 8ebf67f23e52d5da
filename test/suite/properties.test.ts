/**
 * Property-based tests (fast-check): whatever the token endpoint or the API answers, the client
 * yields a result or a RapidataError subclass, never a raw TypeError / SyntaxError and never a hang;
 * Retry-After parsing; query serialisation round-trips.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createClient, isRapidataError, RapidataApiError } from "../../mod.ts";
import { parseRetryAfter } from "../../src/http/retry.ts";
import { withQuery } from "../../src/http/url.ts";
import { describe, it } from "../support/harness.ts";

const RUNS = 150;
const NULL_BODY = [204, 205, 304];

const headerText = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const jsonish = fc.oneof(
  fc.json(),
  fc.record(
    {
      access_token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      token_type: fc.oneof(fc.constantFrom("Bearer", "bearer", "DPoP", "mac", ""), fc.integer()),
      expires_in: fc.oneof(fc.integer({ min: -10, max: 10 ** 9 }), fc.double(), fc.string(), fc.constant(null)),
      error: fc.oneof(fc.constantFrom("invalid_client", "invalid_scope", "server_error"), fc.string(), fc.integer()),
      error_description: fc.oneof(fc.string(), fc.integer()),
      scope: fc.oneof(fc.string(), fc.integer()),
    },
    { requiredKeys: [] },
  ).map((body) => JSON.stringify(body)),
  fc.string(),
);
const answer = fc.record({
  status: fc.oneof(
    fc.constantFrom(200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503),
    fc.integer({ min: 200, max: 599 }),
  ),
  contentType: fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "text/html",
    "",
    "application/problem+json",
  ),
  challenge: fc.option(fc.oneof(fc.constant('Bearer error="invalid_token"'), fc.constant("Basic"), headerText)),
  retryAfter: fc.option(fc.oneof(fc.constant("1"), headerText)),
  body: jsonish,
});
type Answer = typeof answer extends fc.Arbitrary<infer T> ? T : never;

function toResponse(a: Answer): Response {
  const headers = new Headers();
  if (a.contentType) headers.set("content-type", a.contentType);
  try {
    if (a.challenge) headers.set("www-authenticate", a.challenge);
    if (a.retryAfter) headers.set("retry-after", a.retryAfter);
  } catch { /* a header value the platform refuses: leave it out */ }
  return new Response(NULL_BODY.includes(a.status) ? null : a.body, { status: a.status, headers });
}

/** Only RapidataError subclasses (never a raw TypeError or SyntaxError). */
function assertOurs(error: unknown): void {
  assert.ok(isRapidataError(error), `not a RapidataError: ${(error as Error)?.name}: ${(error as Error)?.message}`);
}

describe("properties", () => {
  it("any token endpoint answer gives a token or a RapidataError", async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        const rapidata = createClient({
          clientId: "id",
          clientSecret: `secret-${Math.random()}`, // a fresh cache entry per run
          retry: false,
          timeout: 2_000,
          fetch: () => Promise.resolve(toResponse(a)),
        });
        const token = await rapidata.accessToken().catch((error: unknown) => (assertOurs(error), undefined));
        if (token !== undefined) assert.equal(typeof token, "string");
      }),
      { numRuns: RUNS },
    );
  });

  it("any API error answer gives a RapidataApiError with its status", async () => {
    await fc.assert(
      fc.asyncProperty(answer, fc.integer({ min: 400, max: 599 }), async (a, status) => {
        const rapidata = createClient({
          token: "fixed-token-for-properties",
          retry: false,
          fetch: () => Promise.resolve(toResponse({ ...a, status })),
        });
        const error = await rapidata.get("/orders").then(() => assert.fail("expected an error"), (e: unknown) => e);
        assert.ok(error instanceof RapidataApiError, String(error));
        assert.equal(error.status, status);
        assert.equal(typeof error.message, "string");
        assert.ok(!error.message.includes("fixed-token-for-properties"));
      }),
      { numRuns: RUNS },
    );
  });

  it("any 2xx API answer gives parsed JSON, undefined or ERR_API_BODY", async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        const status = a.status < 300 ? a.status : 200;
        const rapidata = createClient({
          token: "t0ken-x",
          retry: false,
          fetch: () => Promise.resolve(toResponse({ ...a, status })),
        });
        await rapidata.get("/orders").catch((error: unknown) => {
          assertOurs(error);
          assert.equal((error as RapidataApiError).code, "ERR_API_BODY");
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("Retry-After: delta-seconds, HTTP dates, and nothing else", () => {
    const now = Date.UTC(2026, 10, 29, 12, 0, 0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 6 }), (seconds) => {
        assert.equal(parseRetryAfter(String(seconds), now), seconds * 1000);
        assert.equal(parseRetryAfter(new Date(now + seconds * 1000).toUTCString(), now), seconds * 1000);
        assert.equal(parseRetryAfter(new Date(now - seconds * 1000).toUTCString(), now), 0);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseRetryAfter(text, now);
        assert.ok(parsed === undefined || (Number.isFinite(parsed) && parsed >= 0));
        if (/^\s*-/.test(text) || /^\s*\d+\.\d*\s*$/.test(text)) assert.equal(parsed, undefined);
      }),
    );
    assert.equal(parseRetryAfter(null, now), undefined);
    // Date.parse reads these as dates; an HTTP date starts with its day name (found by the property above).
    for (const text of ["-0Z", "1 a", "2026-11-29T12:00:10Z", "x"]) assert.equal(parseRetryAfter(text, now), undefined);
  });

  it("query objects round-trip: arrays as repeated keys, null and undefined left out", () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(scalar, fc.array(scalar))), (query) => {
        const parsed = new URL(withQuery("https://api.rapidata.ai/orders?keep=1", query)).searchParams;
        assert.deepEqual(parsed.getAll("keep").slice(0, 1), ["1"]);
        for (const [key, value] of Object.entries(query)) {
          const expected = (Array.isArray(value) ? value : [value]).filter((v) => v != null).map(String);
          const got = key === "keep" ? parsed.getAll(key).slice(1) : parsed.getAll(key);
          assert.deepEqual(got, expected, key);
        }
      }),
    );
  });
});
