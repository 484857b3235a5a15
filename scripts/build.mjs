#!/usr/bin/env node
/**
 * Build: bundle the CLI into one ESM file (fast start-up: one file to load,
 * compiled once by Node's compile cache) and the library entry point.
 * Type declarations come from `tsc -p tsconfig.build.json`.
 */
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  // Bundled CommonJS dependencies still call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __pyprovCreateRequire } from "node:module"; const require = __pyprovCreateRequire(import.meta.url);',
  },
};

await build({
  ...common,
  entryPoints: { cli: "src/cli/entry.ts", index: "src/index.ts" },
  outdir: "dist",
});

if (!process.argv.includes("--no-types")) {
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      stdio: "inherit",
    },
  );
}
