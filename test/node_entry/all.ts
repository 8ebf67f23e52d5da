/** The @rapidata/fetch/node tests, for runtimes that run them outside vitest (Deno). */
import "./credentials.test.ts";
import "./client.test.ts";
import "./cli.test.ts";
import "./serve_stand_in.test.ts";
