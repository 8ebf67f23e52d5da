/** Bundles a module worker as wrangler would (esbuild, ESM, platform neutral) and returns its source. */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export async function bundleWorker(entry: URL): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"], // workerd's own modules, as wrangler leaves them
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}
