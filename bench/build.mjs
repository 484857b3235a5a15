// Bundle a TypeScript benchmark (and the test support it uses) to .bench-tmp/.
// With { standalone: true } dependencies are bundled in too (minified, ESM
// builds preferred), as pyprov's own CLI is, for fair per-process timings.
import { build } from "esbuild";
import { basename } from "node:path";

export async function buildBench(entry, { standalone = false } = {}) {
  const outfile = `.bench-tmp/${basename(entry).replace(/\.ts$/, ".mjs")}`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
    ...(standalone
      ? {
          minify: true,
          mainFields: ["module", "main"],
          banner: {
            js: 'import { createRequire as __c } from "node:module"; const require = __c(import.meta.url);',
          },
        }
      : { packages: "external" }),
  });
  return outfile;
}
