/** `deno test -A test/runtimes/deno.test.ts`: the behaviour suite on Deno. */
import "./deno_setup.ts";
import "../suite/all.ts";
import "../node_entry/all.ts";
