#!/usr/bin/env node
// `npm run gen`: TypeScript types (`paths`, `components`, `operations`) for the Rapidata API, generated
// with openapi-typescript from the OpenAPI description into src/generated/rapidata_api.ts.
//
//   npm run gen                      regenerate from ../shared/openapi/rapidata.openapi.json when that exists
//                                    (copied over the committed input first), else from the committed input,
//                                    openapi/rapidata.openapi.json
//   npm run gen -- <path|url>        copy another description (a file, or e.g. https://docs.rapidata.ai/openapi.json)
//                                    over the committed input, then regenerate from it
//   npm run gen -- --check [input]   regenerate in memory and fail if src/generated/rapidata_api.ts differs (CI)
//
// The output is a pure function of the input and the pinned openapi-typescript: its header names the
// description's title, `info.version` and the input's SHA-256, never a date. The description's servers
// (the test environment) are dropped before generating, and the output is checked to name none of the
// description's hosts.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const INPUT = "openapi/rapidata.openapi.json";
/** Where the public description lives beside this repository (not in CI's clean clone). */
const SHARED = resolve(root, "../shared/openapi/rapidata.openapi.json");
const OUTPUT = "src/generated/rapidata_api.ts";
/** The run-time table of paged GETs that `paginate` (src/api/paginate.ts) reads. */
const PAGING_OUTPUT = "src/generated/paging.ts";
const GENERATOR = JSON.parse(readFileSync(resolve(root, "node_modules/openapi-typescript/package.json"), "utf8"));

function fail(message) {
  console.error(`gen: ${message}`);
  process.exit(1);
}

/** The description's text, from a file or a URL. */
async function load(input) {
  if (/^https?:\/\//i.test(input)) {
    const response = await fetch(input, { headers: { accept: "application/json" } });
    if (!response.ok) fail(`${input} answered HTTP ${response.status}`);
    return await response.text();
  }
  try {
    return readFileSync(resolve(process.cwd(), input), "utf8");
  } catch (error) {
    return fail(`cannot read ${input}: ${error.message}`);
  }
}

/** Every absolute URL's origin the description names for its servers and its security schemes. */
function hostsOf(description) {
  const urls = [];
  const servers = (list) => urls.push(...(Array.isArray(list) ? list : []).map((server) => server?.url));
  servers(description.servers);
  for (const item of Object.values(description.paths ?? {})) {
    servers(item?.servers);
    for (const operation of Object.values(item ?? {})) servers(operation?.servers);
  }
  for (const scheme of Object.values(description.components?.securitySchemes ?? {})) {
    urls.push(scheme?.openIdConnectUrl);
    for (const flow of Object.values(scheme?.flows ?? {})) urls.push(flow?.authorizationUrl, flow?.tokenUrl);
  }
  return [
    ...new Set(
      urls.filter((url) => typeof url === "string" && /^https?:\/\//i.test(url)).map((url) => new URL(url).origin),
    ),
  ];
}

/** Keywords that only annotate a schema: beside a lone `allOf` member they change nothing of its type. */
const ANNOTATIONS = new Set(["description", "title", "example", "examples", "deprecated", "externalDocs"]);

/**
 * What openapi-typescript gets: a copy of the description
 * - without `servers` (root, path items, operations): nothing generated may name a host;
 * - with each `{ allOf: [{ $ref }], description }` (how the description attaches a description to a
 *   reference) written as `{ $ref, description }`. Both mean the same, but openapi-typescript takes an
 *   `allOf` member with a discriminator for inheritance and types it `Omit<Union, "_t">`, which drops
 *   the discriminator and every field the variants do not share (e.g. a datapoint's `asset`).
 */
function prepare(description) {
  const copy = structuredClone(description);
  delete copy.servers;
  for (const item of Object.values(copy.paths ?? {})) {
    if (item && typeof item === "object") {
      delete item.servers;
      for (const operation of Object.values(item)) {
        if (operation && typeof operation === "object") delete operation.servers;
      }
    }
  }
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    const only = Array.isArray(node.allOf) && node.allOf.length === 1 ? node.allOf[0] : undefined;
    if (
      typeof only?.$ref === "string" && Object.keys(only).length === 1 &&
      Object.keys(node).every((key) => key === "allOf" || ANNOTATIONS.has(key))
    ) {
      delete node.allOf;
      node.$ref = only.$ref;
    }
    Object.values(node).forEach(visit);
  };
  visit(copy.paths);
  visit(copy.components);
  return copy;
}

/**
 * Every paged GET of the description, as `paginate` pages it: `[by, size, items]` with `by` the query
 * parameter that moves (`page` or `cursor`), `size` the page-size parameter (`page_size`, `pageSize`, or
 * none) and `items` the answer's array (`items`, or `models`). A GET is paged when it declares a `page`
 * or `cursor` query parameter and its 200 JSON answer is an object with an `items` or `models` array
 * (page-based answers also carry `page` or `total`, cursor-based ones `nextCursor`); a union answer
 * when each of its variants is such an object.
 */
function pagingOf(description) {
  const schemas = description.components?.schemas ?? {};
  // A reference, or a lone `allOf` member (how the description annotates one), is what it points at.
  const resolve = (schema) => {
    for (let i = 0; i < 10; i++) {
      if (schema?.$ref) schema = schemas[schema.$ref.split("/").pop()];
      else if (Array.isArray(schema?.allOf) && schema.allOf.length === 1) schema = schema.allOf[0];
      else break;
    }
    return schema;
  };
  const table = {};
  for (const [path, item] of Object.entries(description.paths ?? {})) {
    const get = item?.get;
    if (!get) continue;
    const query = (get.parameters ?? []).map(resolve).filter((p) => p?.in === "query").map((p) => p.name);
    const content = get.responses?.["200"]?.content ?? {};
    const type = Object.keys(content).find((t) => /[/+]json/.test(t));
    // A union answer (oneOf) pages when every variant does: the fields all of them have count.
    const answer = resolve(type && content[type].schema);
    const variants = (answer?.oneOf ?? answer?.anyOf ?? [answer]).map(resolve);
    const props = Object.fromEntries(
      Object.entries(variants[0]?.properties ?? {}).filter(([key]) => variants.every((v) => v?.properties?.[key])),
    );
    const items = ["items", "models"].find((key) => resolve(props[key])?.type === "array");
    const by = query.includes("cursor") && "nextCursor" in props
      ? "cursor"
      : query.includes("page") && ("page" in props || "total" in props)
      ? "page"
      : undefined;
    if (!items || !by) continue;
    table[path] = [by, ["page_size", "pageSize"].find((name) => query.includes(name)) ?? null, items];
  }
  const rows = Object.keys(table).sort().map((path) => `  ${JSON.stringify(path)}: ${JSON.stringify(table[path])},`);
  return [
    "// The paged GETs of the Rapidata API, generated by `npm run gen` (scripts/gen.mjs) from",
    `// ${INPUT}. Do not edit: change the input and run \`npm run gen\`.`,
    "",
    "/** Path template → [the query parameter that pages, the page-size parameter (or null), the answer's array]. */",
    "export const PAGED = {",
    ...rows,
    "} as const;",
    "",
  ].join("\n");
}

async function generate(text) {
  let description;
  try {
    description = JSON.parse(text);
  } catch (error) {
    fail(`the description is not JSON: ${error.message}`);
  }
  if (!/^3\./.test(String(description?.openapi)) || typeof description.paths !== "object") {
    fail("the input is not an OpenAPI 3 description");
  }
  const { title, version } = description.info ?? {};
  if (typeof title !== "string" || typeof version !== "string") {
    fail("the description has no info.title / info.version");
  }
  const sha256 = createHash("sha256").update(text).digest("hex");
  const types = astToString(await openapiTS(prepare(description), { silent: true }));
  const header = [
    `// Types of "${title}" version ${version}, generated by \`npm run gen\` (scripts/gen.mjs)`,
    `// with openapi-typescript ${GENERATOR.version} from ${INPUT} (SHA-256 ${sha256}).`,
    "// Types only, no run-time code. Do not edit: change the input and run `npm run gen`.",
    "",
  ].join("\n");
  const output = `${header}\n${types}`;
  // Neither the description's hosts (origins or bare names) nor Rapidata's environments may appear.
  const hosts = hostsOf(description).flatMap((origin) => [origin, new URL(origin).hostname]);
  const named = [...hosts, "rapidata.ai", "rabbitdata.ch", "rapidata.dev"].filter((host) => output.includes(host));
  if (named.length > 0) fail(`the generated types name the description's host(s): ${named.join(", ")}`);
  return { output, paging: pagingOf(description), title, version, paths: Object.keys(description.paths).length };
}

const args = process.argv.slice(2);
const checking = args.includes("--check");
// --check always compares against the committed input, so CI needs nothing outside the repository.
const input = args.find((arg) => arg !== "--check") ??
  (!checking && existsSync(SHARED) ? SHARED : resolve(root, INPUT));
const text = await load(input);
const { output, paging, title, version, paths } = await generate(text);
const target = resolve(root, OUTPUT);
const pagingTarget = resolve(root, PAGING_OUTPUT);

if (checking) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch { /* missing: reported as stale */ }
  let currentPaging = "";
  try {
    currentPaging = readFileSync(pagingTarget, "utf8");
  } catch { /* missing: reported as stale */ }
  for (const [file, made, committed] of [[OUTPUT, output, current], [PAGING_OUTPUT, paging, currentPaging]]) {
    if (committed !== made) {
      fail(`${file} is not what \`npm run gen\` makes from ${input}: run \`npm run gen\` and commit the result`);
    }
  }
  console.log(`gen: ${OUTPUT} is up to date (${title} ${version}, ${paths} paths)`);
} else {
  const committed = resolve(root, INPUT);
  if (resolve(process.cwd(), input) !== committed) {
    mkdirSync(dirname(committed), { recursive: true });
    writeFileSync(committed, text);
    console.log(`gen: copied ${input} to ${INPUT}`);
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, output);
  writeFileSync(pagingTarget, paging);
  console.log(`gen: wrote ${relative(process.cwd(), target)} (${title} ${version}, ${paths} paths)`);
}
