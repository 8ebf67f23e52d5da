import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { createClient as createCoreClient, isRapidataError, RapidataError } from "../../mod.ts";
import { createClient, loadCredentials, login, saveCredentials } from "../../node.ts";
import { type Echo, newCredentials, stats } from "../support/control.ts";
import { describe, inspect, it, standInUrl } from "../support/harness.ts";
import { tempConfig } from "./support.ts";

const urls = { RAPIDATA_API_URL: standInUrl, RAPIDATA_AUTH_URL: standInUrl };
const bearerOf = async (client: { fetch: (path: string) => Promise<Response> }) =>
  ((await (await client.fetch("/__stand-in/echo")).json()) as Echo).headers.authorization;

describe("@rapidata/fetch/node createClient: credentials in the Python SDK's order", () => {
  it("options, then RAPIDATA_TOKEN_FILE, then RAPIDATA_CLIENT_ID/SECRET, then the credentials file", async () => {
    const [explicit, fromEnv, fromFile] = await Promise.all([newCredentials(), newCredentials(), newCredentials()]);
    const { file } = tempConfig();
    saveCredentials(fromFile, { file, authUrl: standInUrl });
    const tokenFile = join(file, "..", "token.json");
    const fileToken = await createCoreClient({ ...fromFile, apiUrl: standInUrl, authUrl: standInUrl }).accessToken();
    fs.writeFileSync(tokenFile, JSON.stringify({ access_token: fileToken, token_type: "Bearer", expires_at: 4e9 }));
    const env = {
      ...urls,
      RAPIDATA_CLIENT_ID: fromEnv.clientId,
      RAPIDATA_CLIENT_SECRET: fromEnv.clientSecret,
      RAPIDATA_TOKEN_FILE: tokenFile,
    };

    const { clientId, clientSecret } = explicit;
    await createClient({ clientId, clientSecret, env, credentialsFile: file }).get("/orders");
    assert.equal((await stats(explicit.clientId)).apiCalls, 1);
    // The token file before the variables (as the Python SDK): no token request of its own.
    assert.equal(await bearerOf(createClient({ env, credentialsFile: file })), `Bearer ${fileToken}`);
    await createClient({ env: { ...env, RAPIDATA_TOKEN_FILE: "" }, credentialsFile: file }).get("/orders");
    assert.equal((await stats(fromEnv.clientId)).apiCalls, 1);
    const before = (await stats(fromFile.clientId)).apiCalls;
    const viaFile = createClient({ env: urls, credentialsFile: file });
    await viaFile.get("/orders");
    assert.equal((await stats(fromFile.clientId)).apiCalls, before + 1);

    const none = (() => {
      try {
        createClient({ env: urls, credentialsFile: join(file, "..", "missing.json") });
      } catch (error) {
        return error;
      }
    })();
    assert.ok(isRapidataError(none));
    assert.equal(none.code, "ERR_NO_CREDENTIALS");
    assert.ok(none.message.includes(`npx @rapidata/fetch login --auth-url ${standInUrl}`), none.message);
    assert.throws(() => createClient({ env: { RAPIDATA_CLIENT_ID: "only-id" } }), /RAPIDATA_CLIENT_SECRET/);
  });

  it("an explicit environment is not overridden by RAPIDATA_API_URL / RAPIDATA_AUTH_URL", () => {
    const env = { RAPIDATA_API_URL: "https://api.rapidata.ai", RAPIDATA_AUTH_URL: "https://auth.rapidata.ai" };
    const client = createClient({ environment: "rabbitdata.ch", token: "t", env });
    assert.equal(client.apiUrl, "https://api.rabbitdata.ch");
    const fromVariables = createClient({ token: "t", env: { ...env, RAPIDATA_ENVIRONMENT: "rabbitdata.ch" } });
    assert.equal(fromVariables.apiUrl, "https://api.rapidata.ai"); // all from variables: the URL is the more specific
  });

  it("a token file whose token a header cannot carry: ERR_NO_CREDENTIALS that does not quote it", async () => {
    const { dir } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const tokenFile = join(dir, "token.json");
    fs.writeFileSync(tokenFile, JSON.stringify({ access_token: "secret-part\r\nX-Evil: 1", token_type: "Bearer" }));
    const client = createClient({ env: { RAPIDATA_TOKEN_FILE: tokenFile } });
    const error = await client.accessToken().catch((e: unknown) => e);
    assert.ok(error instanceof RapidataError, String(error));
    assert.equal(error.code, "ERR_NO_CREDENTIALS");
    assert.ok(!error.message.includes("secret-part"), error.message);
  });

  it("a token file's token lacking the audience: one audience event per token, however often it is read", async () => {
    const { dir } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const tokenFile = join(dir, "token.json");
    const part = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "");
    const token = `${part({ alg: "none" })}.${part({ aud: "elsewhere" })}.sig`;
    const write = () =>
      fs.writeFileSync(tokenFile, JSON.stringify({ access_token: token, expires_at: Date.now() / 1000 + 30 }));
    write(); // in its last minute: read again on every call
    const events: { type: string }[] = [];
    const client = createClient({ env: { RAPIDATA_TOKEN_FILE: tokenFile }, onEvent: (event) => events.push(event) });
    for (let i = 0; i < 5; i++) {
      await client.accessToken();
      write(); // rewritten with the same token
    }
    assert.equal(events.filter((event) => event.type === "audience").length, 1);
  });

  it("a misspelt option, its own included, names the nearest one", () => {
    assert.throws(
      () => createClient({ token: "t", credentialFile: "x" } as never),
      /^TypeError: createClient: "credentialFile" is not an option\. Did you mean "credentialsFile"\?/,
    );
  });

  it("a variable with a bad value names the variable, in createClient and in the CLI's rule alike", () => {
    assert.throws(
      () => createClient({ token: "t", env: { RAPIDATA_API_URL: "http://proxy.example" } }),
      /^TypeError: createClient: RAPIDATA_API_URL must use https:/,
    );
    // Not read at all with an explicit environment.
    const client = createClient({ token: "t", environment: "rabbitdata.ch", env: { RAPIDATA_API_URL: "http://x" } });
    assert.equal(client.apiUrl, "https://api.rabbitdata.ch");
  });

  it("reads RAPIDATA_TOKEN_FILE again when it changes and in the last minute of its token, not otherwise", async () => {
    const creds = await newCredentials();
    const tokens = await Promise.all(
      ["openid email api", "api", "email api"].map((scope) =>
        createCoreClient({ ...creds, apiUrl: standInUrl, authUrl: standInUrl, scope }).accessToken()
      ),
    );
    const [first, second, third] = tokens as [string, string, string];
    assert.equal(new Set(tokens).size, 3);
    const { dir } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const tokenFile = join(dir, "token.json");
    const mtime = Math.floor(Date.now() / 1000) - 10; // a fixed modification time, set after each write
    const write = (token: string, expiresAt: number | string, touch = mtime) => {
      fs.writeFileSync(tokenFile, JSON.stringify({ access_token: token, token_type: "Bearer", expires_at: expiresAt }));
      fs.utimesSync(tokenFile, touch, touch);
    };
    const hourFromNow = Date.now() / 1000 + 3600;
    write(first, hourFromNow);
    const client = createClient({ env: { ...urls, RAPIDATA_TOKEN_FILE: tokenFile } });
    assert.equal(await bearerOf(client), `Bearer ${first}`);
    write(second, new Date(hourFromNow * 1000).toISOString()); // same modification time, token far from expiry
    assert.equal(await bearerOf(client), `Bearer ${first}`); // not read again
    // Changed (ISO dates work too): read again. Its token expires within the minute.
    write(second, new Date(Date.now() + 30_000).toISOString(), mtime + 1);
    assert.equal(await bearerOf(client), `Bearer ${second}`);
    write(third, hourFromNow, mtime + 1); // same modification time, but the current token is about to expire
    assert.equal(await bearerOf(client), `Bearer ${third}`);
    assert.ok(!JSON.stringify(client).includes(third));
  });

  it("a broken token file is ERR_NO_CREDENTIALS naming the file, without its content", async () => {
    const { dir } = tempConfig();
    fs.mkdirSync(dir, { recursive: true });
    const tokenFile = join(dir, "token.json");
    fs.writeFileSync(tokenFile, "opaque-SECRET-token"); // not JSON: the parser's message would quote it
    await assert.rejects(createClient({ env: { ...urls, RAPIDATA_TOKEN_FILE: tokenFile } }).get("/orders"), (error) => {
      assert.ok(isRapidataError(error) && error.code === "ERR_NO_CREDENTIALS");
      assert.ok(!inspect(error).includes("opaque-SECRET"), inspect(error));
      return true;
    });
    fs.writeFileSync(tokenFile, JSON.stringify({ token_type: "Bearer", secretish: "do-not-print" }));
    const client = createClient({ env: { ...urls, RAPIDATA_TOKEN_FILE: tokenFile } });
    await assert.rejects(client.get("/orders"), (error: Error) => {
      assert.ok(isRapidataError(error) && error.code === "ERR_NO_CREDENTIALS");
      assert.match(error.message, /token\.json has no "access_token"/);
      assert.ok(!error.message.includes("do-not-print"));
      return true;
    });
  });
});

describe("login (browser bridge flow against the stand-in)", () => {
  it("gets a user token through the bridge, creates a client and stores it; the client works", async () => {
    const { file } = tempConfig(true);
    const opened: string[] = [];
    const printed: string[] = [];
    const stored = await login({
      authUrl: standInUrl,
      file,
      pollInterval: 20,
      onUrl: (url) => printed.push(url),
      // The "browser": opens the URL after a few polls have seen 202.
      open: (url) => {
        opened.push(url);
        setTimeout(() => void fetch(url).then((r) => r.body?.cancel()), 100);
        return true;
      },
    });
    assert.deepEqual(printed, opened);
    const url = new URL(opened[0]!);
    assert.equal(`${url.origin}${url.pathname}`, `${standInUrl}/connect/authorize/external`);
    assert.match(opened[0]!, /[?&]scope=openid%20profile%20email%20api&/); // encoded, spaces as %20
    assert.equal(url.searchParams.get("clientId"), "rapidata-cli");
    const bridge = await (await fetch(`${standInUrl}/__stand-in/bridge`)).json() as {
      lastScope: string;
      displayNames: string[];
      polls: number;
    };
    assert.equal(bridge.lastScope, "openid profile email api");
    assert.ok(bridge.displayNames.includes(stored.displayName!));
    assert.match(stored.displayName!, / - TypeScript client$/);

    // Stored next to the Python SDK's entries, under the auth URL in use; the new client works.
    const data = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.ok(data["https://auth.rapidata.ai"]?.length === 2 && data["https://auth.rabbitdata.ch"]);
    assert.equal(data[standInUrl][0].client_id, stored.clientId);
    assert.equal(loadCredentials({ file, authUrl: standInUrl })?.clientId, stored.clientId);
    const client = createClient({ env: urls, credentialsFile: file });
    assert.equal((await client.get<{ page: number }>("/orders")).page, 1);
  });

  it("never hangs on an identity server that does not answer, and refuses an unsafe auth URL", async () => {
    const { file } = tempConfig();
    const silent = () => new Promise<Response>(() => {}); // ignores even its signal
    await assert.rejects(
      login({ authUrl: standInUrl, file, fetch: silent, requestTimeout: 100, onUrl: () => {} }),
      (error: Error) => isRapidataError(error) && error.code === "ERR_LOGIN" && /did not answer/.test(error.message),
    );
    // Headers, then a body that never ends.
    const trickle = () => Promise.resolve(new Response(new ReadableStream({ pull: () => new Promise(() => {}) })));
    await assert.rejects(
      login({ authUrl: standInUrl, file, fetch: trickle, requestTimeout: 100, onUrl: () => {} }),
      (error: Error) => isRapidataError(error) && error.code === "ERR_LOGIN" && /did not answer/.test(error.message),
    );
    await assert.rejects(login({ authUrl: "http://auth.example.com", file }), /must use https:/);
    await assert.rejects(login({ authUrl: "https://user:hunter2@auth.example.com", file }), (error: Error) => {
      assert.match(error.message, /must not contain credentials/);
      assert.ok(!error.message.includes("hunter2"));
      return true;
    });
  });

  it("gives up with ERR_LOGIN when nobody logs in within the timeout", async () => {
    const { file } = tempConfig();
    await assert.rejects(
      login({ authUrl: standInUrl, file, pollInterval: 10, timeout: 100, open: () => false, onUrl: () => {} }),
      (error: Error) => isRapidataError(error) && error.code === "ERR_LOGIN" && /in time/.test(error.message),
    );
    assert.equal(fs.existsSync(file), false);
  });
});
