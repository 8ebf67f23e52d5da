import { gzipSync } from "node:zlib";
import { build } from "esbuild";
const entry = `
import { createClient } from "./mod.ts";
const rapidata = createClient({ clientId: "id", clientSecret: "secret" });
export default { fetch: (request) => rapidata.fetch("/orders", { signal: request.signal }) };
`;
const r = await build({
  stdin: { contents: entry, resolveDir: process.cwd(), loader: "ts" },
  bundle: true,
  minifyIdentifiers: true,
  minifySyntax: true,
  format: "esm",
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  write: false,
});
const text = r.outputFiles[0].text;
const parts = text.split(/^(?=\/\/ )/m);
const g = (s) => gzipSync(s, { level: 9 }).length;
const total = g(text);
console.log("total (whitespace kept)", total);
for (const p of parts) {
  const name = p.split("\n")[0];
  const rest = parts.filter((x) => x !== p).join("");
  console.log(String(total - g(rest)).padStart(6), name);
}
