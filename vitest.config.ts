import { readFileSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig, type Plugin } from "vitest/config";

const suite = ["test/suite/**/*.test.ts"];
const globalSetup = ["test/runtimes/vitest_global_setup.ts"];
const setupFiles = ["test/runtimes/vitest_setup.ts"];

/**
 * oauth4webapi ships a source map whose sources are not in the package: loaded without its
 * sourceMappingURL comment, Vite does not warn about it on every run.
 */
const withoutMissingSourceMaps: Plugin = {
  name: "without-missing-source-maps",
  enforce: "pre",
  load(id) {
    if (!/node_modules\/oauth4webapi\/build\/index\.js$/.test(id)) return null;
    return readFileSync(id, "utf8").replace(/\/\/# sourceMappingURL=\S+\s*$/, "");
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: [...suite, "test/unit/**/*.test.ts", "test/node/**/*.test.ts", "test/node_entry/**/*.test.ts"],
          environment: "node",
          globalSetup,
          setupFiles,
        },
      },
      {
        plugins: [
          withoutMissingSourceMaps,
          cloudflareTest({
            miniflare: {
              compatibilityDate: "2026-04-01",
              compatibilityFlags: ["nodejs_compat"],
              kvNamespaces: ["TOKENS"],
            },
          }),
        ],
        test: { name: "workers", include: [...suite, "test/workers/**/*.test.ts"], globalSetup, setupFiles },
      },
    ],
  },
});
