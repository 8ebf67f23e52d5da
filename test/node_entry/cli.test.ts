import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type CliIo, main } from "../../cli.ts";
import { newCredentials } from "../support/control.ts";
import { describe, it, runtime, standInUrl } from "../support/harness.ts";
import { tempConfig } from "./support.ts";

const cli = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const browser = fileURLToPath(new URL("fixtures/fake_browser.mjs", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rapidata-fetch` as a child process of this runtime (Node through tsx, or Deno). */
function rapidataFetch(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const runner = runtime === "deno" ? ["run", "-A", cli] : ["--import", "tsx", cli];
  return new Promise((resolve) => {
    execFile(process.execPath, [...runner, ...args], {
      env: {
        PATH: process.env.PATH ?? "",
        NO_COLOR: "1",
        RAPIDATA_API_URL: standInUrl,
        RAPIDATA_AUTH_URL: standInUrl,
        ...env,
      },
      cwd: dirname(cli),
      timeout: 60_000,
    }, (error, stdout, stderr) => {
      // A child killed for taking too long is no exit 1: it must fail every check on the code.
      const code = error ? (error.killed || typeof error.code !== "number" ? -1 : error.code) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function credentialsEnv(): Promise<Record<string, string>> {
  const { clientId, clientSecret } = await newCredentials();
  return {
    RAPIDATA_CLIENT_ID: clientId,
    RAPIDATA_CLIENT_SECRET: clientSecret,
    HOME: dirname(dirname(tempConfig().dir)),
  };
}

describe(`rapidata-fetch CLI (child processes on ${runtime})`, () => {
  it("token: prints the claims, confirms the api audience, exit 0; the token only with --raw", async () => {
    const env = await credentialsEnv();
    const shown = await rapidataFetch(["token"], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Audience: +https:\/\/api\.rapidata\.ai$/m);
    assert.match(shown.stdout, /^Scopes: +openid email api$/m);
    assert.match(shown.stdout, new RegExp(`^Client id: +${env.RAPIDATA_CLIENT_ID}$`, "m"));
    assert.match(shown.stdout, /^Expires: +\d{4}-\d\d-\d\dT.*\(in \d+ min\)$/m);
    assert.match(shown.stderr, /The audience includes https:\/\/api\.rapidata\.ai/);
    const jwt = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
    assert.doesNotMatch(shown.stdout + shown.stderr, jwt); // no token at all (each run gets a fresh one)
    const raw = await rapidataFetch(["token", "--raw"], env);
    assert.equal(raw.code, 0);
    assert.match(raw.stdout, new RegExp(`^${jwt.source}\n$`));
  });

  it("token without the api scope: says so plainly and exits non-zero", async () => {
    const env = await credentialsEnv();
    const result = await rapidataFetch(["token", "--scope", "openid email"], env);
    assert.equal(result.code, 1);
    assert.doesNotMatch(result.stdout, /api\.rapidata\.ai/);
    assert.match(result.stderr, /does not include https:\/\/api\.rapidata\.ai/);
  });

  it("get with --query, and --json prints the body as received", async () => {
    const env = await credentialsEnv();
    const result = await rapidataFetch(["get", "/orders", "--query", "page=2", "-q", "page_size=3", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.deepEqual([body.page, body.pageSize, body.items.length], [2, 3, 3]);
  });

  it("post --data (inline and @file); a ProblemDetails error shows status, title, detail, trace id", async () => {
    const env = await credentialsEnv();
    const created = await rapidataFetch(["post", "/dataset", "--data", '{"name":"cats"}'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).name, "cats");
    const { dir } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const file = join(dir, "body.json");
    fs.writeFileSync(file, "{}");
    const invalid = await rapidataFetch(["post", "/dataset", "--data", `@${file}`], env);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /HTTP 400 .*One or more validation errors occurred/);
    assert.match(invalid.stderr, /Name: The Name field is required\./);
    const missing = await rapidataFetch(["get", "/order/nope"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /HTTP 404 Not Found — Order nope does not exist/); // the status text once
    assert.doesNotMatch(missing.stderr, /Not Found.*Not Found/);
    assert.match(missing.stderr, /trace id: [0-9a-f]{32}/);
  });

  it("usage errors exit 2: a typo suggests the nearest command; bad --data and --query are named", async () => {
    const typo = await rapidataFetch(["tokn"]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown command "tokn"\. Did you mean "token"\?/);
    const env = await credentialsEnv();
    assert.match(
      (await rapidataFetch(["post", "/dataset", "--data", "{oops"], env)).stderr,
      /--data is not valid JSON/,
    );
    assert.match((await rapidataFetch(["get", "/orders", "--query", "page"], env)).stderr, /--query takes key=value/);
    const unknownFlag = await rapidataFetch(["get", "/orders", "--bogus"], env);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /--bogus/);
  });

  it("--help shows examples, --version the version; no colour codes with NO_COLOR or off a TTY", async () => {
    const help = await rapidataFetch(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n {2}npx @rapidata\/fetch login/);
    const version = await rapidataFetch(["--version"]);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const failing = await rapidataFetch(["tokn"], { NO_COLOR: "" });
    assert.ok(!failing.stderr.includes("\x1b["), "stderr is not a TTY: no colours");
  });

  it("colours on a terminal only, and never with NO_COLOR (main() in process)", async () => {
    const run = async (env: Record<string, string>, tty: boolean) => {
      let stderr = "";
      const io: CliIo = {
        stdout: () => {},
        stderr: (text) => void (stderr += text),
        env,
        stdoutTty: tty,
        stderrTty: tty,
        stdin: () => "",
      };
      return { code: await main(["tokn"], io), stderr };
    };
    const tty = await run({}, true);
    assert.equal(tty.code, 2);
    assert.ok(tty.stderr.startsWith("\x1b[31merror:\x1b[0m unknown command"), tty.stderr);
    assert.ok(!(await run({ NO_COLOR: "1" }, true)).stderr.includes("\x1b["));
    assert.ok(!(await run({}, false)).stderr.includes("\x1b["));
  });

  it("without credentials: a clear error that suggests login", async () => {
    const result = await rapidataFetch(["token"], { HOME: dirname(dirname(tempConfig().dir)) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /No Rapidata credentials .*npx @rapidata\/fetch login/);
  });

  it("login through the browser bridge, then token and get from the stored credentials, then logout", async () => {
    const { dir, file } = tempConfig();
    const home = dirname(dirname(dir));
    const env = { HOME: home, BROWSER: browser };
    const loggedIn = await rapidataFetch(["login"], env);
    assert.equal(loggedIn.code, 0, loggedIn.stderr);
    assert.match(
      loggedIn.stderr,
      /Open this URL to log in.*\n {2}http:\/\/127\.0\.0\.1:\d+\/connect\/authorize\/external\?/,
    );
    assert.match(loggedIn.stderr, /Waiting for the login in the browser/);
    assert.match(loggedIn.stdout, /Logged in\. API client \S+ \(.* - TypeScript client\) saved to/);
    const stored = JSON.parse(fs.readFileSync(file, "utf8"))[standInUrl];
    assert.equal(stored.length, 1);
    assert.equal((await rapidataFetch(["token"], env)).code, 0);
    assert.equal((await rapidataFetch(["get", "/orders"], env)).code, 0);
    const out = await rapidataFetch(["logout"], env);
    assert.match(out.stdout, /Removed the stored credentials/);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), {});
    const after = await rapidataFetch(["token"], env);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /No Rapidata credentials/);
  });

  it("--environment wins over RAPIDATA_AUTH_URL: logout of one environment keeps the others", async () => {
    const { dir, file } = tempConfig(true);
    const env = { HOME: dirname(dirname(dir)), RAPIDATA_AUTH_URL: "https://auth.rapidata.ai" };
    const out = await rapidataFetch(["logout", "--environment", "rabbitdata.ch"], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Removed the stored credentials for https:\/\/auth\.rabbitdata\.ch\./);
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(file, "utf8"))), ["https://auth.rapidata.ai"]);
  });

  it("a variable with a bad value is named, as in the library (usage error, exit 2)", async () => {
    const { dir } = tempConfig(true);
    const out = await rapidataFetch(["logout"], {
      HOME: dirname(dirname(dir)),
      RAPIDATA_AUTH_URL: "http://evil.example",
    });
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stderr, /RAPIDATA_AUTH_URL must use https:/);
  });

  it("messages in the library's words: a bad PATH, an unknown flag, an unreachable host or token endpoint", async () => {
    const env = await credentialsEnv();
    const path = await rapidataFetch(["get", "orders"], env);
    assert.equal(path.code, 2);
    assert.match(path.stderr, /input must be a path starting with "\/" or an absolute URL/);
    const flag = await rapidataFetch(["get", "/orders", "--envirnoment", "x"], env);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option "--envirnoment"\. Did you mean "--environment"\?/);
    assert.doesNotMatch(flag.stderr, /place it at the end/);
    const value = await rapidataFetch(["get", "/orders", "--scope"], env);
    assert.equal(value.code, 2);
    assert.match(value.stderr, /--scope needs a value/);
    const short = await rapidataFetch(["post", "/dataset", "-d"], env);
    assert.match(short.stderr, /error: --data needs a value/);
    const boolean = await rapidataFetch(["get", "/orders", "--raw=1"], env);
    assert.match(boolean.stderr, /error: --raw takes no value/);
    // A host nothing listens on (port 9 on loopback: discard, closed here).
    const host = await rapidataFetch(["get", "http://127.0.0.1:9/x"], env);
    assert.equal(host.code, 1);
    assert.match(host.stderr, /could not reach http:\/\/127\.0\.0\.1:9/);
    const tokenEndpoint = await rapidataFetch(["token"], { ...env, RAPIDATA_AUTH_URL: "http://127.0.0.1:9" });
    assert.equal(tokenEndpoint.code, 1);
    assert.match(tokenEndpoint.stderr, /could not reach http:\/\/127\.0\.0\.1:9\/connect\/token/);
  });

  it("without credentials the message suggests login and the variables, not options the CLI lacks", async () => {
    const result = await rapidataFetch(["token"], { HOME: dirname(dirname(tempConfig().dir)) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /set RAPIDATA_CLIENT_ID and RAPIDATA_CLIENT_SECRET/);
    assert.doesNotMatch(result.stderr, /clientId|clientSecret/);
  });

  it("token: an opaque token is judged as the library judges it (the requested scope)", async () => {
    const { dir } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const tokenFile = join(dir, "token.json");
    fs.writeFileSync(tokenFile, JSON.stringify({ access_token: "opaque-cli-token", token_type: "Bearer" }));
    const env = { HOME: dirname(dirname(dir)), RAPIDATA_TOKEN_FILE: tokenFile };
    const withApi = await rapidataFetch(["token"], env);
    assert.equal(withApi.code, 0, withApi.stderr);
    assert.match(withApi.stderr, /not a JWT; the "api" scope was requested/);
    const without = await rapidataFetch(["token", "--scope", "openid email"], env);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /"api" scope was not requested: it lacks https:\/\/api\.rapidata\.ai/);
  });
});
