#!/usr/bin/env node
/**
 * `rapidata-fetch`, the command line (`npx @rapidata/fetch …`, `deno run -A npm:@rapidata/fetch/cli …`).
 * Run as a program it executes the command in its arguments; `main` runs one from code.
 *
 * @example
 * ```ts
 * import { main } from "@rapidata/fetch/cli";
 *
 * process.exitCode = await main(["token"]);
 * ```
 *
 * @module
 */

import { realpathSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { main } from "./node/cli.ts";

export { type CliIo, main } from "./node/cli.ts";

/** True when this module is the program (node, npx, deno run), not an import. */
function isProgram(): boolean {
  if ((import.meta as { main?: boolean }).main) return true; // Deno
  const program = process.argv[1];
  try {
    return program !== undefined && realpathSync(program) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isProgram()) process.exitCode = await main(process.argv.slice(2));
