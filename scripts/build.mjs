#!/usr/bin/env node
/**
 * Build: bundle the CLI into one ESM file (fast start-up: one file to load,
 * compiled once by Node's compile cache), and likewise the library entry
 * point and the verification worker.
 * Type declarations come from `tsc -p tsconfig.build.json`.
 */
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

/**
 * Node built-ins are loaded with require(), not `import`. An ES import of a
 * built-in builds its whole namespace, which runs every lazy getter: `import
 * "node:fs"` alone loads fs/promises, readline and the stream stack, and
 * `node:process` or `node:util` about as much (30-40 internal modules each,
 * ~15 ms of start-up here). require() returns the object and leaves those
 * getters alone until something actually uses them. pyprov's own imports
 * become one small ES module per built-in whose named exports each read one
 * property, so every importer shares it (a CommonJS wrapper would copy the
 * built-in's whole export list into a new namespace per importing module).
 */
const LAZY_BUILTINS = new Set(["node:child_process"]);

/** Export names of a built-in (those that are identifiers), read from this Node at build time. */
function builtinExportNames(id) {
  return Object.keys(require(id)).filter(
    (k) => /^[A-Za-z_][\w$]*$/.test(k) && k !== "default", // never $builtin or $read
  );
}

const builtinsByRequire = {
  name: "builtins-by-require",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.namespace === "pyprov-builtin") return { path: args.path, external: true };
      // An import statement gets named exports that read the one property
      // each imports (esbuild drops the unused ones); require() and import()
      // get the object itself.
      const esm = args.kind === "import-statement";
      return {
        path: args.path,
        namespace: "pyprov-builtin",
        pluginData: { esm: esm && !LAZY_BUILTINS.has(args.path) },
      };
    });
    b.onLoad({ filter: /.*/, namespace: "pyprov-builtin" }, (args) => {
      const id = JSON.stringify(args.path);
      if (args.pluginData?.esm) {
        const names = builtinExportNames(args.path);
        return {
          contents: [
            `const $builtin = require(${id});`,
            `const $read = (k) => $builtin[k];`,
            `export default $builtin;`,
            ...names.map((n) => `export const ${n} = /* @__PURE__ */ $read(${JSON.stringify(n)});`),
          ].join("\n"),
          loader: "js",
        };
      }
      return {
        contents: LAZY_BUILTINS.has(args.path)
          ? // Loaded on first use: commander requires child_process (28 internal
            // modules: net, dgram, streams) only to spawn executable subcommands,
            // which pyprov does not have.
            `let m; const load = () => (m ??= require(${id}));
             module.exports = new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });`
          : `module.exports = require(${id});`,
        loader: "js",
      };
    });
  },
};

const common = {
  minify: process.env.PYPROV_NO_MINIFY !== "1",
  // Prefer packages' ES module builds: they let esbuild drop what is unused.
  mainFields: ["module", "main"],
  plugins: [builtinsByRequire],
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

// One file per entry point, no shared chunks: the ESM loader's per-file cost
// (resolve, read, compile-cache lookup, link) is ~1 ms here, and `verify`
// reached 33 chunk files. Modules the code imports dynamically (each command,
// the index client, lockfile parsers, report formats) stay lazy inside the
// file: esbuild wraps them so their top level runs only on first import.
for (const [name, entry] of Object.entries({
  cli: "src/cli/entry.ts",
  index: "src/index.ts",
  "verify-worker": "src/verify/worker-entry.ts",
})) {
  await build({ ...common, entryPoints: { [name]: entry }, outdir: "dist" });
}

if (!process.argv.includes("--no-types")) {
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      stdio: "inherit",
    },
  );
}
