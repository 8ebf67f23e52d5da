/** Helpers of the @rapidata/fetch/node tests. */
import fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const fixture = fileURLToPath(new URL("fixtures/python_credentials.json", import.meta.url));

/** A fresh ~/.config/rapidata in a temp dir, optionally with the Python fixture as credentials.json. */
export function tempConfig(withFixture = false): { dir: string; file: string } {
  const dir = join(fs.mkdtempSync(join(tmpdir(), "rapidata-creds-")), ".config", "rapidata");
  const file = join(dir, "credentials.json");
  if (withFixture) {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(fixture, file);
  }
  return { dir, file };
}
