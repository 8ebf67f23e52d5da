import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const suite = ["test/suite/**/*.test.ts"];
const globalSetup = ["test/runtimes/vitest_global_setup.ts"];
const setupFiles = ["test/runtimes/vitest_setup.ts"];

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
