import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
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

  it("test/suite/all.ts (the Deno and Bun entry) lists every suite file", () => {
    const dir = new URL("../suite/", import.meta.url);
    const files = readdirSync(dir).filter((name) => name.endsWith(".test.ts")).sort();
    const listed = [...readFileSync(new URL("all.ts", dir), "utf8").matchAll(/import "\.\/(.+?)";/g)].map((m) => m[1]);
    assert.deepEqual(listed, files);
  });
});
