#!/usr/bin/env node
/**
 * Build: bundle the CLI into one ESM file (fast start-up: one file to load,
 * compiled once by Node's compile cache) and the library entry point.
 * Type declarations come from `tsc -p tsconfig.build.json`.
 */
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

/**
 * zod re-exports every message locale (`z.locales`); pyprov uses only the
 * default English messages. Replacing the locale barrel with English alone
 * removes ~150 KB of code that every start-up would otherwise parse.
 */
const englishOnlyZodLocales = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${"/"}zod${"/"}`)
        ? {
            path: "zod-locales-en",
            namespace: "pyprov-stub",
            pluginData: resolve(args.resolveDir, dirname(args.path)),
          }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "pyprov-stub" }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: args.pluginData,
      loader: "js",
    }));
  },
};

const common = {
  minify: process.env.PYPROV_NO_MINIFY !== "1",
  // Prefer packages' ES module builds: they let esbuild drop what is unused.
  mainFields: ["module", "main"],
  plugins: [englishOnlyZodLocales],
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

// Code splitting: each command's code (and the index client, lockfile
// parsers, ...) is a chunk loaded on first use, so `verify` on a local file
// never parses the network or TOML code.
await build({
  ...common,
  entryPoints: {
    cli: "src/cli/entry.ts",
    index: "src/index.ts",
    "verify-worker": "src/verify/worker-entry.ts",
  },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
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
