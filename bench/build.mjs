// Bundle a TypeScript benchmark (and the test support it uses) to .bench-tmp/.
import { build } from "esbuild";
import { basename } from "node:path";

export async function buildBench(entry) {
  const outfile = `.bench-tmp/${basename(entry).replace(/\.ts$/, ".mjs")}`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    packages: "external",
    logLevel: "warning",
  });
  return outfile;
}
