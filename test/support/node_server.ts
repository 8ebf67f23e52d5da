/** The loopback server of `@rapidata/fetch/testing/node`, for the tests and benchmarks. */
export { serve, type Served } from "../../node/serve.ts";
