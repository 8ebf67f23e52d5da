import assert from "node:assert/strict";
import { afterEach, describe, it } from "vitest";
import { fromEnv } from "../../mod.ts";

const names = ["RAPIDATA_CLIENT_ID", "RAPIDATA_CLIENT_SECRET", "RAPIDATA_ENVIRONMENT"] as const;
const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));

afterEach(() => {
  for (const name of names) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe("fromEnv without an env object", () => {
  it("reads process.env", () => {
    process.env.RAPIDATA_CLIENT_ID = "id";
    process.env.RAPIDATA_CLIENT_SECRET = "secret";
    process.env.RAPIDATA_ENVIRONMENT = "rapidata.dev";
    assert.equal(fromEnv().tokenEndpoint, "https://auth.rapidata.dev/connect/token");
  });

  it("treats empty variables as unset and names the missing one", () => {
    process.env.RAPIDATA_CLIENT_ID = "";
    process.env.RAPIDATA_CLIENT_SECRET = "secret";
    assert.throws(() => fromEnv(), { name: "TypeError", message: /RAPIDATA_CLIENT_ID/ });
  });
});
