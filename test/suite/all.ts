// Every file of the behaviour suite, for runtimes that load the suite from one entry (Deno, Bun).
// test/node/package.test.ts checks that this list is complete.
import "./audience.test.ts";
import "./errors.test.ts";
import "./faults.test.ts";
import "./fetch.test.ts";
import "./json.test.ts";
import "./options.test.ts";
import "./pipeline.test.ts";
import "./properties.test.ts";
import "./stand_in.test.ts";
import "./stores.test.ts";
import "./token.test.ts";
import "./typed_api.test.ts";
import "./workflows.test.ts";
