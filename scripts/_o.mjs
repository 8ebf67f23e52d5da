import { build } from "esbuild";
const r = await build({
  stdin: {
    contents:
      `import * as o from "oauth4webapi"; export const a=[o.clientCredentialsGrantRequest,o.processClientCredentialsResponse,o.ClientSecretBasic,o.ClientSecretPost,o.ResponseBodyError,o.WWWAuthenticateChallengeError,o.OperationProcessingError,o.UnsupportedOperationError,o.customFetch,o.allowInsecureRequests]`,
    resolveDir: process.cwd(),
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
});
const t = r.outputFiles[0].text;
console.log(t.match(/^(async )?function \w+|^var \w+|^class \w+/gm).join(" "));
