import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { loadCredentials, removeCredentials, saveCredentials } from "../../node.ts";
import { describe, inspect, it, runtime } from "../support/harness.ts";
import { tempConfig } from "./support.ts";

const pythonCheck = fileURLToPath(new URL("fixtures/validate_like_python_sdk.py", import.meta.url));

/** Runs a program; `code` is its exit status, or the spawn error's code ("ENOENT": not installed). */
function run(command: string, args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const json = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

/** Runs the writer fixture in a child process of this runtime (Node through tsx, or Deno). */
function writer(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL("fixtures/save_many.ts", import.meta.url));
  const runner = runtime === "deno" ? ["run", "-A", script] : ["--import", "tsx", script];
  return run(process.execPath, [...runner, ...args]);
}

describe("credentials file: nothing reported as saved is lost", () => {
  it("4 processes x 15 saves at once keep all 60 entries; a process loading at the same time loses none", async () => {
    const { file } = tempConfig();
    const results = await Promise.all([
      ...["a", "b", "c", "d"].map((name) => writer([file, name, "15"])),
      writer([file, "reader", "30", "load"]),
    ]);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const ids = json(file)["https://auth.rapidata.ai"].map((entry: { client_id: string }) => entry.client_id).sort();
    const expected = ["a", "b", "c", "d"].flatMap((name) => Array.from({ length: 15 }, (_, i) => `${name}-${i}`))
      .sort();
    assert.deepEqual(ids, expected);
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  it("4 processes that all find a crashed writer's lock: one breaks it, all 60 saves are kept", async () => {
    const { file } = tempConfig();
    fs.mkdirSync(join(file, ".."), { recursive: true });
    fs.writeFileSync(`${file}.lock`, `999999999\n${hostname()}\n`);
    const results = await Promise.all(["a", "b", "c", "d"].map((name) => writer([file, name, "15"])));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.equal(json(file)["https://auth.rapidata.ai"].length, 60);
    assert.deepEqual(fs.readdirSync(join(file, "..")).sort(), ["credentials.json"]); // no lock, breaker or temp left
  });

  it("a lock left by a crashed writer is broken, not waited for", () => {
    const { file } = tempConfig();
    fs.mkdirSync(join(file, ".."), { recursive: true });
    // A pid no process has (above Linux's pid_max), on this machine, written just now: it crashed.
    fs.writeFileSync(`${file}.lock`, `999999999\n${hostname()}\n`);
    saveCredentials({ clientId: "after-crash", clientSecret: "after-crash-secret" }, { file });
    assert.equal(loadCredentials({ file })?.clientId, "after-crash");
    // An old lock, whoever holds it.
    fs.writeFileSync(`${file}.lock`, `1\nanother-host\n`);
    const minuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.lock`, minuteAgo, minuteAgo);
    saveCredentials({ clientId: "after-old", clientSecret: "after-old-secret" }, { file });
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  it("names a misspelt option instead of writing or reading production's entries", () => {
    const { file } = tempConfig();
    const wrong = { file, enviroment: "rabbitdata.ch" } as never;
    assert.throws(
      () => saveCredentials({ clientId: "x", clientSecret: "y" }, wrong),
      /"enviroment" is not an option\. Did you mean "environment"\?/,
    );
    assert.throws(() => loadCredentials(wrong), /^TypeError: loadCredentials: "enviroment"/);
    assert.throws(() => removeCredentials(wrong), /^TypeError: removeCredentials: "enviroment"/);
    assert.equal(fs.existsSync(file), false);
  });

  it("marks the chosen entry as used, also when another entry has the same client id", () => {
    const { file } = tempConfig();
    fs.mkdirSync(join(file, ".."), { recursive: true });
    const entry = (secret: string, lastUsed: string) => ({
      display_name: "x",
      client_id: "shared-id",
      client_secret: secret,
      endpoint: "https://auth.rapidata.ai",
      created_at: "2026-01-01T00:00:00.000000",
      last_used: lastUsed,
    });
    fs.writeFileSync(
      file,
      JSON.stringify({
        "https://auth.rapidata.ai": [
          entry("stale-secret-value", "2026-01-02T00:00:00.000000"),
          entry("fresh-secret-value", "2026-06-01T00:00:00.000000"),
        ],
      }),
    );
    assert.equal(loadCredentials({ file })?.clientSecret, "fresh-secret-value");
    const [stale, fresh] = json(file)["https://auth.rapidata.ai"];
    assert.equal(stale.last_used, "2026-01-02T00:00:00.000000"); // untouched
    assert.ok(Date.parse(fresh.last_used) > Date.parse("2026-06-02"));
    // The next run (ours or the Python SDK's: newest last_used) picks the same, working entry.
    assert.equal(loadCredentials({ file })?.clientSecret, "fresh-secret-value");
  });
});

describe("credentials file (Python SDK format)", () => {
  it("reads a file the Python SDK wrote: newest last_used wins, is marked used, the rest is kept", () => {
    const { file } = tempConfig(true);
    const before = json(file);
    const stored = loadCredentials({ file });
    assert.equal(stored?.clientId, "py-new");
    assert.equal(stored?.clientSecret, "py-new-secret-value");
    assert.equal(stored?.endpoint, "https://auth.rapidata.ai");
    const after = json(file);
    assert.deepEqual(after["https://auth.rabbitdata.ch"], before["https://auth.rabbitdata.ch"]);
    assert.deepEqual(after["https://auth.rapidata.ai"][0], before["https://auth.rapidata.ai"][0]);
    const used = after["https://auth.rapidata.ai"][1];
    assert.ok(Date.parse(used.last_used) > Date.parse(before["https://auth.rapidata.ai"][1].last_used));
    assert.deepEqual({ ...used, last_used: "" }, { ...before["https://auth.rapidata.ai"][1], last_used: "" });
    // Other environments by name or by auth URL.
    assert.equal(loadCredentials({ file, environment: "rabbitdata.ch" })?.clientId, "py-test");
    assert.equal(loadCredentials({ file, authUrl: "https://auth.rabbitdata.ch/" })?.clientId, "py-test");
    assert.equal(loadCredentials({ file, environment: "rapidata.dev" }), undefined);
  });

  it("reads the Python SDK's time formats at full precision: Z, +00:00, no offset (UTC), microseconds", () => {
    const { dir, file } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const entry = (id: string, last_used: string) => ({
      display_name: "x",
      client_id: id,
      client_secret: `${id}-secret`,
      endpoint: "https://auth.rapidata.ai",
      created_at: "2025-01-01T00:00:00Z",
      last_used,
    });
    // [newer, older]: each pair compared in both orders of the file.
    const cases: [[string, string], [string, string]][] = [
      [["micro-9", "2025-07-01T10:00:00.000900Z"], ["micro-1", "2025-07-01T10:00:00.000100Z"]],
      [["offset", "2025-07-01T10:00:01+00:00"], ["z", "2025-07-01T10:00:00.999999Z"]],
      [["naive", "2025-07-01T12:00:00"], ["zoned", "2025-07-01T11:59:59.5+00:00"]],
    ];
    for (const [newer, older] of cases) {
      for (const list of [[older, newer], [newer, older]]) {
        fs.writeFileSync(file, JSON.stringify({ "https://auth.rapidata.ai": list.map(([id, at]) => entry(id, at)) }));
        assert.equal(loadCredentials({ file })?.clientId, newer[0], `${newer[1]} is newer than ${older[1]}`);
      }
    }
  });

  it("writes entries the Python SDK reads (checked by python3 as its model does)", async () => {
    const { file } = tempConfig(true);
    saveCredentials({ clientId: "ts-1", clientSecret: "ts-secret-1", displayName: "host - TypeScript client" }, {
      file,
    });
    const written = json(file)["https://auth.rapidata.ai"].at(-1);
    assert.deepEqual(Object.keys(written).sort(), [
      "client_id",
      "client_secret",
      "created_at",
      "display_name",
      "endpoint",
      "last_used",
    ]);
    assert.equal(written.endpoint, "https://auth.rapidata.ai");
    const python = await run("python3", [pythonCheck, file]);
    if (python.code !== "ENOENT") { // without python3 on the machine, this part cannot run
      assert.equal(python.code, 0, python.stderr);
      // The newest entry, for the Python SDK too, is the one just written.
      assert.match(python.stdout, /^https:\/\/auth\.rapidata\.ai ts-1$/m);
      assert.match(python.stdout, /^https:\/\/auth\.rabbitdata\.ch py-test$/m);
    }
    assert.equal(loadCredentials({ file })?.clientId, "ts-1");
  });

  it("creates the directory 0700 and the file 0600 (POSIX)", () => {
    const { dir, file } = tempConfig();
    saveCredentials({ clientId: "a", clientSecret: "b" }, { file });
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    fs.chmodSync(file, 0o644); // rewritten files get 0600 again
    loadCredentials({ file });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it("refuses to write through a symbolic link", () => {
    const { dir, file } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const target = join(dir, "elsewhere.json");
    fs.writeFileSync(target, "{}");
    fs.symlinkSync(target, file);
    assert.throws(() => saveCredentials({ clientId: "a", clientSecret: "b" }, { file }), /symbolic link/);
    assert.equal(fs.readFileSync(target, "utf8"), "{}");
    assert.ok(fs.lstatSync(file).isSymbolicLink());
  });

  it("a crash between write and rename leaves the old file whole", async () => {
    const { dir, file } = tempConfig(true);
    const original = fs.readFileSync(file, "utf8");
    // A child process that dies where the rename would happen.
    const script = join(dir, "crash.mjs");
    const credentials = new URL("../../node/credentials.ts", import.meta.url).href;
    fs.writeFileSync(
      script,
      `import fs from "node:fs";
fs.renameSync = () => process.exit(70);
const { saveCredentials } = await import(${JSON.stringify(credentials)});
saveCredentials({ clientId: "crash", clientSecret: "crash-secret" }, { file: ${JSON.stringify(file)} });
process.exit(0);
`,
    );
    const args = runtime === "deno" ? ["run", "-A", script] : ["--import", "tsx", script];
    const crashed = await run(process.execPath, args);
    assert.equal(crashed.code, 70, crashed.stderr);
    assert.equal(fs.readFileSync(file, "utf8"), original);
    const leftovers = fs.readdirSync(dir).filter((name) => name.startsWith("credentials.json.tmp."));
    assert.equal(leftovers.length, 1); // the complete temp file the crash left behind
    // The next write is unaffected by the leftover.
    saveCredentials({ clientId: "after", clientSecret: "after-secret" }, { file });
    assert.equal(loadCredentials({ file })?.clientId, "after");
  });

  it("never overwrites a file it cannot parse", () => {
    const { dir, file } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, "{ not json");
    assert.throws(() => saveCredentials({ clientId: "a", clientSecret: "b" }, { file }), /not valid JSON/);
    assert.throws(() => loadCredentials({ file }), /not valid JSON/);
    assert.equal(fs.readFileSync(file, "utf8"), "{ not json");
  });

  it("logout removes one environment only", () => {
    const { file } = tempConfig(true);
    assert.equal(removeCredentials({ file }), true);
    assert.equal(removeCredentials({ file }), false);
    const after = json(file);
    assert.deepEqual(Object.keys(after), ["https://auth.rabbitdata.ch"]);
    assert.equal(loadCredentials({ file }), undefined);
  });

  it("never shows the secret in JSON or inspection", () => {
    const { file } = tempConfig(true);
    const stored = loadCredentials({ file })!;
    assert.equal(stored.clientSecret, "py-new-secret-value");
    assert.ok(!JSON.stringify(stored).includes("py-new-secret-value"));
    assert.ok(!inspect(stored).includes("py-new-secret-value"));
    assert.ok(!String(Object.keys(stored)).includes("clientSecret"));
  });
});
