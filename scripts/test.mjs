#!/usr/bin/env node
// `npm test`: every suite and check, then one summary line per runtime / group and a last line
// "N passed, M failed" over all of them. Exits non-zero if anything failed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = (name) => join("node_modules", ".bin", name);
const dir = mkdtempSync(join(tmpdir(), "rapidata-fetch-test-"));
const results = []; // { suite, passed, failed }

/** Runs a command with inherited output; returns its exit status. */
function run(command, args, capture = false) {
  console.log(`\n$ ${[command, ...args].join(" ")}`);
  const child = spawnSync(command, args, {
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (capture) process.stdout.write(child.stdout ?? "");
  return { status: child.status ?? 1, stdout: child.stdout ?? "" };
}

/** One pass/fail check inside a group. */
function check(group, command, args) {
  const { status } = run(command, args);
  let entry = results.find((r) => r.suite === group);
  if (!entry) results.push(entry = { suite: group, passed: 0, failed: 0 });
  if (status === 0) entry.passed++;
  else entry.failed++;
}

/** A test runner's own counts; a run that ran nothing, or exited non-zero with no failure counted, fails. */
function suite(name, status, passed, failed) {
  const entry = { suite: name, passed, failed };
  if (passed === 0 || (status !== 0 && failed === 0)) entry.failed++;
  results.push(entry);
}

check("build", "npm", ["run", "--silent", "build"]);
check("typecheck", "npm", ["run", "--silent", "typecheck"]);
// The generated API types are what `npm run gen` makes from the committed description.
check("typecheck", process.execPath, ["scripts/gen.mjs", "--check"]);

// The behaviour suite (test/suite) on every runtime, plus Node-side tests in test/node.
for (const [project, name] of [["node", "node (vitest)"], ["workers", "workerd (vitest)"]]) {
  const report = join(dir, `${project}.json`);
  const { status } = run(bin("vitest"), [
    "run",
    "--project",
    project,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ]);
  let counts = { numPassedTests: 0, numFailedTests: 0 };
  try {
    counts = JSON.parse(readFileSync(report, "utf8"));
  } catch { /* no report: counted as a failure below */ }
  suite(name, status, counts.numPassedTests, counts.numFailedTests);
}
{
  const suiteRun = run(bin("deno"), ["test", "-A", "test/runtimes/deno.test.ts"], true);
  // "ok | 10 passed (74 steps) | 0 failed" or "FAILED | 9 passed (70 steps) | 1 failed (4 steps)"
  const passed = Number(/passed \((\d+) steps?\)/.exec(suiteRun.stdout)?.[1] ?? 0);
  const failed = Number(
    /failed \((\d+) steps?\)/.exec(suiteRun.stdout)?.[1] ?? /\| (\d+) failed/.exec(suiteRun.stdout)?.[1] ?? 0,
  );
  // Deno-only tests (Deno KV): plain Deno.test, "ok | 2 passed | 0 failed".
  const kvRun = run(bin("deno"), ["test", "-A", "--unstable-kv", "test/deno/"], true);
  const kvPassed = Number(/(\d+) passed/.exec(kvRun.stdout)?.[1] ?? 0);
  const kvFailed = Number(/(\d+) failed/.exec(kvRun.stdout)?.[1] ?? 0);
  suite("deno (deno test)", suiteRun.status || kvRun.status, passed + kvPassed, failed + kvFailed);
  if (kvPassed === 0) results.at(-1).failed++;
}
{
  const report = join(dir, "bun.xml");
  const { status } = run(bin("bun"), [
    "test",
    "./test/runtimes/bun.test.ts",
    "--reporter=junit",
    `--reporter-outfile=${report}`,
  ]);
  let xml = "";
  try {
    xml = readFileSync(report, "utf8");
  } catch { /* counted as a failure below */ }
  const tests = Number(/<testsuites[^>]*\btests="(\d+)"/.exec(xml)?.[1] ?? 0);
  const failures = Number(/<testsuites[^>]*\bfailures="(\d+)"/.exec(xml)?.[1] ?? 0);
  const errors = Number(/<testsuites[^>]*\berrors="(\d+)"/.exec(xml)?.[1] ?? 0);
  suite("bun (bun test)", status, tests - failures - errors, failures + errors);
}

{
  // Vercel's Edge runtime: the suite inside the edge-runtime package's VM; "N passed, M failed".
  const { status, stdout } = run(bin("tsx"), ["scripts/edge_test.ts"], true);
  const match = /(\d+) passed, (\d+) failed/.exec(stdout);
  suite("edge-runtime (EdgeVM)", status, Number(match?.[1] ?? 0), Number(match?.[2] ?? 0));
}

// Deno tooling and the package as npm and JSR would see it.
check("deno tooling", bin("deno"), [
  "check",
  "mod.ts",
  "src/testing/mod.ts",
  "node.ts",
  "cli.ts",
  "api.ts",
  "testing_node.ts",
]);
// The Deno examples, against this checkout (the import map points @rapidata/fetch here).
check("deno tooling", bin("deno"), [
  "check",
  "--import-map",
  "examples/deno/import_map.json",
  "examples/deno/main.ts",
  "examples/deno/workflow.ts",
]);
check("deno tooling", bin("deno"), ["lint"]);
check("deno tooling", bin("deno"), ["fmt", "--check"]);
check("deno tooling", bin("deno"), ["publish", "--dry-run", "--allow-dirty"]);
check("package", bin("publint"), ["--strict"]);
check("package", bin("attw"), ["--pack", ".", "--profile", "esm-only"]);
check("package", "npm", ["run", "--silent", "size"]);
{
  const { status, stdout } = run(bin("tsx"), ["scripts/pack_test.ts"], true);
  const passed = (stdout.match(/^ok {3}/gm) ?? []).length;
  const failed = (stdout.match(/^FAIL /gm) ?? []).length;
  suite("packed tarball", status, passed, failed);
}

rmSync(dir, { recursive: true, force: true });
console.log("");
for (const r of results) console.log(`${r.suite.padEnd(20)} ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
