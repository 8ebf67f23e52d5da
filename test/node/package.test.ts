import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "vitest";
import { VERSION } from "../../mod.ts";

describe("package", () => {
  it("VERSION (sent in X-Client) equals package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    assert.equal(VERSION, pkg.version);
  });

  it("has oauth4webapi as its only runtime dependency", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    assert.deepEqual(Object.keys(pkg.dependencies), ["oauth4webapi"]);
  });
});
