#!/usr/bin/env node
// `npm run size`: gzip size of a Worker bundle of createClient + fetch (esbuild, minified, as wrangler
// bundles). Fails above the budget.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

// 10240 B until 0.1.0; issue 12 (token pipeline) and issue 14 (audience) added up to 11264 B; issue 17
// (hot path: half the per-call cost, `timeout: false`, the direct path: one promise over the
// platform's, then less garbage per call) added 576 B.
const LIMIT = 11840;
/** The gzip size of the same bundle at 0.1.0 (git e4e9b6e), for the report. */
const BASELINE = { version: "0.1.0", gzip: 10239 };
/** Changes since, each measured when it landed (gzip B): the report lists them. */
const CHANGES = [
  ["token pipeline: background renewal, revocation, stall takeover, sweep, bounded token responses", +1588],
  ["token responses checked here, not by oauth4webapi's processor (it validates id_tokens)", -1845],
  ["smaller cuts: one store context, token response errors built once", -96],
  ["the workerd entry: workerd's waitUntil keeps background renewals alive", +59],
  ["after a fault hunt: any landing ends every wait, joiners retry for themselves, secret forms redacted", +301],
  ["bodies read through a cancellable reader, error bodies bounded at 64 KiB (issue 13)", +78],
  ["after a second fault hunt: only cut-short fetches are retried by joiners, listeners per waiter", +63],
  ["headers dropped on leaving the API origin, caller mistakes surfaced as they are (issue 13)", +152],
  ["misspelt options are a TypeError naming the nearest option; expiresAt in ms refused (issue 13)", +471],
  ["no client secret in a web page without dangerouslyAllowBrowser (issue 13)", +117],
  ["the audience (issue 14): option, event, ERR_AUDIENCE without replay, WWW-Authenticate challenge", +525],
  ["WWW-Authenticate parsed by our small parser, not through oauth4webapi's error processing", -745],
  ["issue 13 after review: stream bodies checked, the caller's signal on fetch() bodies, token characters", +114],
  ["issue 14 after review: the audience mark in the shared cache, scope in stores, the challenge's reason", +79],
  ["renewal leases on stores with an atomic add (issue 15)", +150],
  [
    "hot path (issue 17): fresh tokens without a promise, 2xx bodies read whole on the attempt's signal, timeout: false",
    +205,
  ],
  ["hot path (issue 17): URLs read once, extra headers as pairs (workerd's getters and iterators cost)", +37],
  ["issue 17 after review: other hosts' bodies through the reader, a fetch throwing at once is ERR_NETWORK", +21],
  ["issue 17: a cancelled read that fails (workerd's bodies) ends with the timeout's reason", +4],
  [
    "hot path (issue 17): the direct path (one promise over fetch's; the full path from the first non-2xx), URLs on the API origin unparsed, no Headers without the caller's",
    +254,
  ],
  ["issue 17 after review: an abort reason of any kind (null too) passes the direct path as it is", +4],
  [
    "hot path (issue 17): the Bearer header made once per token, the API prefix joined once, no redirect loop made for a 2xx",
    +60,
  ],
];
/** What each module of the bundle is for: the report prints what each costs. */
const FEATURES = {
  "src/token/cache.ts": "token cache: background renewal, single flight with stall takeover, grace, revocation, sweep",
  "src/token/grant.ts": "token request (oauth4webapi) and token response checks, lifetime",
  "src/token/client_credentials.ts": "client-credentials source: memory, store, grant with retries",
  "src/token/source.ts": "TokenSource seam and the fixed token",
  "src/options.ts": "option validation and the table of defaults",
  "src/client.ts": "createClient and the JSON helpers",
  "src/http/transport.ts": "authenticated exchange: redirects, 401 replay",
  "src/http/retry.ts": "retries (backoff, Retry-After)",
  "src/http/deadline.ts": "timeouts and aborts",
  "src/http/body.ts": "bounded body reads",
  "src/http/url.ts": "paths and queries",
  "src/endpoints.ts": "environments and base URLs",
  "src/errors.ts": "error classes",
  "src/internal/hide.ts": "secrets hidden from JSON and inspection",
  "src/internal/jwt.ts": "JWT payload decoding (exp)",
  "src/internal/base64url.ts": "base64url",
  "src/internal/known.ts": "misspelt options: unknown keys name the nearest known one",
  "src/http/challenge.ts": "WWW-Authenticate challenges (OAuth error fields of 401s)",
  "src/token/audience.ts": "the audience of a token (JWT aud, else the scope)",
  "src/events.ts": "the onEvent emitter",
  "src/version.ts": "VERSION (X-Client)",
  "workerd.ts": "the workerd entry (its waitUntil for background renewals)",
  "node_modules/oauth4webapi/build/index.js":
    "oauth4webapi: request building, client authentication, OAuth error parsing",
};
// The Worker as wrangler bundles it: the package's "workerd" entry.
const entry = `
import { createClient } from "./workerd.ts";
const rapidata = createClient({ clientId: "id", clientSecret: "secret" });
export default { fetch: (request) => rapidata.fetch("/orders", { signal: request.signal }) };
`;
/** A minified Worker bundle of `contents` (an entry module in the repository's root). */
const bundle = (contents, whitespace = true) =>
  build({
    stdin: { contents, resolveDir: process.cwd(), loader: "ts" },
    bundle: true,
    minifySyntax: true,
    minifyIdentifiers: true,
    minifyWhitespace: whitespace,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"], // workerd's own modules, as wrangler leaves them
    write: false,
    metafile: true,
  });
const result = await bundle(entry);
const code = result.outputFiles[0].contents;
const gzip = gzipSync(code, { level: 9 }).length;
/** A module's path as from the repository root (a symlinked node_modules shows as a path outside it). */
const local = (file) => file.replace(/^.*?(?=node_modules\/)/, "");
const inputs = Object.entries(Object.values(result.metafile.outputs)[0].inputs)
  .map(([file, { bytesInOutput }]) => [local(file), bytesInOutput])
  .filter(([, bytes]) => bytes > 0)
  .sort((a, b) => b[1] - a[1]);
// What each module costs in gzip: the bundle's gzip size without it (esbuild marks each module's code
// when whitespace is kept), against the gzip size of the whole.
const marked = (await bundle(entry, false)).outputFiles[0].text;
const sections = marked.split(/^(?=\/\/ \S+\n)/m);
const gzipOf = (text) => gzipSync(text, { level: 9 }).length;
const whole = gzipOf(marked);
const cost = new Map(sections.map((section, i) => [
  local(section.slice(3, section.indexOf("\n"))),
  whole - gzipOf(sections.filter((_, j) => j !== i).join("")),
]));
console.log("   min B  gzip B  module: feature");
for (const [file, bytes] of inputs) {
  const feature = FEATURES[file] ?? (file === "<stdin>" ? "the Worker itself" : "");
  console.log(`  ${String(bytes).padStart(6)}  ${String(cost.get(file) ?? "?").padStart(6)}  ${file}: ${feature}`);
}
console.log(
  `Worker bundle (createClient + fetch): ${code.length} B minified, ${gzip} B gzip (limit ${LIMIT} B; ` +
    `${BASELINE.version}: ${BASELINE.gzip} B, ${gzip - BASELINE.gzip >= 0 ? "+" : ""}${gzip - BASELINE.gzip} B)`,
);
for (const [change, bytes] of CHANGES) {
  console.log(`  since ${BASELINE.version}: ${bytes > 0 ? "+" : ""}${bytes} B  ${change}`);
}
const unmapped = inputs.map(([file]) => file).filter((file) => !(file in FEATURES) && file !== "<stdin>");
if (unmapped.length > 0) {
  console.error(`size: say in FEATURES what these modules are for: ${unmapped.join(", ")}`);
  process.exit(1);
}
if (gzip > LIMIT) {
  console.error(`size: over the ${LIMIT} B gzip budget`);
  process.exit(1);
}
// The Node/Deno entry (credentials file, login, CLI) never reaches a Worker bundle.
const nodeOnly = inputs.filter(([file]) => file.startsWith("node/") || file.startsWith("node:"));
if (nodeOnly.length > 0) {
  console.error(`size: Node-only code in the Worker bundle: ${nodeOnly.map(([file]) => file).join(", ")}`);
  process.exit(1);
}
// Store adapters (and their sealing code) must tree-shake away from a Worker that uses none.
const stores = inputs.filter(([file]) => file.includes("src/stores/"));
if (stores.length > 0) {
  console.error(`size: unused store code in the bundle: ${stores.map(([file]) => file).join(", ")}`);
  process.exit(1);
}
// The typed layer (`@rapidata/fetch/api`: api.ts, src/api/, the generated types) is not even an input
// of a Worker that does not import it: the main bundle cannot have grown by it.
const typedLayer = Object.keys(result.metafile.inputs).filter((file) =>
  /(^|\/)api\.ts$/.test(file) || file.includes("src/api/") || file.includes("src/generated/")
);
if (typedLayer.length > 0) {
  console.error(`size: the typed layer is in the main bundle: ${typedLayer.join(", ")}`);
  process.exit(1);
}
// For information: a Worker that uses typed() (the typed layer's run time is path and query handling).
const typedResult = await bundle(`
import { createClient } from "./workerd.ts";
import { typed } from "./api.ts";
const api = typed(createClient({ clientId: "id", clientSecret: "secret" }));
export default {
  fetch: async () => Response.json(await api.get("/orders", { query: { order_name: { contains: "cat" } } })),
};
`);
const typedCode = typedResult.outputFiles[0].contents;
const typedGzip = gzipSync(typedCode, { level: 9 }).length;
console.log(
  `Worker bundle with typed() (information, no limit): ${typedCode.length} B minified, ${typedGzip} B gzip ` +
    `(+${typedGzip - gzip} B)`,
);
// For information: a Worker that also uses the workflows (each is bundled only where it is imported).
const workflowResult = await bundle(`
import { createClient } from "./workerd.ts";
import { checkJob, downloadResults, paginate, typed, uploadFile } from "./api.ts";
const api = typed(createClient({ clientId: "id", clientSecret: "secret" }));
export default {
  fetch: async () => {
    for await (const order of paginate(api, "/orders")) console.log(order.id);
    await uploadFile(api, new Uint8Array(1), { name: "a.jpg" });
    return (await checkJob(api, "job")).done ? await downloadResults(api, "job", "job") : new Response("wait");
  },
};
`);
const workflowGzip = gzipSync(workflowResult.outputFiles[0].contents, { level: 9 }).length;
console.log(
  `Worker bundle with typed() and paginate, checkJob, uploadFile, downloadResults (information, no limit): ` +
    `${workflowGzip} B gzip (+${workflowGzip - gzip} B)`,
);
