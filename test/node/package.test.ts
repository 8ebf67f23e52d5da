import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "vitest";
import { VERSION } from "../../mod.ts";

describe("package", () => {
  it("VERSION (sent in X-Client) equals package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    assert.equal(VERSION, pkg.version);
  });

  it("package.json, deno.json and VERSION agree on the version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    const deno = JSON.parse(readFileSync(new URL("../../deno.json", import.meta.url), "utf8"));
    assert.deepEqual([deno.version, VERSION], [pkg.version, pkg.version]);
    assert.equal(deno.name, pkg.name);
  });

  it("has a script per runtime besides npm test, and a CHANGELOG entry for the version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    for (const script of ["test:node", "test:workerd", "test:deno", "test:bun"]) assert.ok(pkg.scripts[script], script);
    const changelog = readFileSync(new URL("../../CHANGELOG.md", import.meta.url), "utf8");
    assert.match(changelog, new RegExp(`^## \\[${pkg.version.replace(/\./g, "\\.")}\\]`, "m"));
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
