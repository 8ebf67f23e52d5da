#!/usr/bin/env node
// Runs every suite and ends with one line "N passed, M failed" over all of them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const results = []; // { suite, passed, failed }

function run(command, args) {
  const child = spawnSync(command, args, { stdio: "inherit", shell: false });
  return child.status ?? 1;
}

// 1. Type check: `npm run typecheck` (tsc strict, no emit; src/ against Web types only).
const typecheck = run("npm", ["run", "--silent", "typecheck"]);
results.push({ suite: "typecheck", passed: typecheck === 0 ? 1 : 0, failed: typecheck === 0 ? 0 : 1 });

// 2. vitest, once per project: Node, and workerd (through @cloudflare/vitest-pool-workers).
const dir = mkdtempSync(join(tmpdir(), "rapidata-fetch-test-"));
for (const project of ["node", "workers"]) {
  const report = join(dir, `${project}.json`);
  const status = run("npx", [
    "vitest",
    "run",
    "--project",
    project,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ]);
  const entry = { suite: project === "node" ? "node (vitest)" : "workerd (vitest)", passed: 0, failed: 0 };
  try {
    const json = JSON.parse(readFileSync(report, "utf8"));
    entry.passed = json.numPassedTests;
    entry.failed = json.numFailedTests;
    if (entry.passed === 0) entry.failed++; // a suite that ran nothing is a failure
  } catch {
    entry.failed++;
  }
  if (status !== 0 && entry.failed === 0) entry.failed++; // the run itself failed (setup, unhandled error)
  results.push(entry);
}
rmSync(dir, { recursive: true, force: true });

console.log("");
for (const r of results) console.log(`${r.suite.padEnd(20)} ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
