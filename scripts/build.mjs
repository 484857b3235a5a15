#!/usr/bin/env node
/**
 * Build.
 *
 *  - dist/index.js (the library) and dist/verify-worker.js: pyprov's own code
 *    in one file each, importing every dependency from node_modules as
 *    installed (never a copy of it).
 *  - dist/cli-unbundled.js: the CLI, likewise.
 *  - dist/cli.js: the CLI with its dependencies bundled in (one file to load,
 *    compiled once by Node's compile cache), and dist/cli.deps.json, the
 *    name, version and resolving parent of every package the bundle holds.
 *    bin/pyprov.js loads dist/cli.js only while node_modules still holds
 *    exactly those versions (scripts/cli-freshness.mjs); otherwise, after an
 *    `npm update` say, it runs dist/cli-unbundled.js.
 *
 * Type declarations come from `tsc -p tsconfig.build.json`.
 */
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
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
//
// Dependencies are external everywhere except dist/cli.js: `import "zod/mini"`
// stays an import, resolved by Node from node_modules. pg's optional native
// binding is never bundled (pg requires it only when asked for pg.native).
const external = { packages: "external", external: ["pg-native"] };
for (const [name, entry, options] of [
  ["index", "src/index.ts", external],
  ["verify-worker", "src/verify/worker-entry.ts", external],
  ["cli-unbundled", "src/cli/entry.ts", external],
]) {
  await build({ ...common, ...options, entryPoints: { [name]: entry }, outdir: "dist" });
}

const bundled = await build({
  ...common,
  external: ["pg-native"],
  entryPoints: { cli: "src/cli/entry.ts" },
  outdir: "dist",
  metafile: true,
});
writeFileSync(
  new URL("../dist/cli.deps.json", import.meta.url),
  JSON.stringify({ packages: bundledPackages(bundled.metafile) }, null, 2) + "\n",
);

/**
 * The packages whose code is in the bundle: for each, its version and every
 * package that imports it (null: pyprov itself), so that bin/pyprov.js can
 * resolve it from each of them as Node would for dist/cli-unbundled.js. From
 * esbuild's metafile: an input `node_modules/a/node_modules/@b/c/x.js`
 * belongs to package `@b/c` in directory `node_modules/a/node_modules/@b/c`.
 * Listed breadth-first from pyprov, so that an entry's first importer always
 * comes before it; `via` holds importers' indices in the list.
 */
function bundledPackages(metafile) {
  const packageOf = (input) => {
    const i = input.lastIndexOf("node_modules/");
    if (i < 0) return undefined;
    const rest = input.slice(i + "node_modules/".length).split("/");
    const name = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    return { name, dir: input.slice(0, i) + "node_modules/" + name };
  };
  const names = new Map(); // dir → name
  const importers = new Map(); // dir → Set of importer dirs (null: pyprov)
  for (const [input, info] of Object.entries(metafile.inputs)) {
    const from = packageOf(input)?.dir ?? null;
    for (const imp of info.imports) {
      if (imp.external || !imp.path) continue;
      const to = packageOf(imp.path);
      if (!to || to.dir === from) continue;
      names.set(to.dir, to.name);
      if (!importers.has(to.dir)) importers.set(to.dir, new Set());
      importers.get(to.dir).add(from);
    }
  }
  const order = [];
  const index = new Map([[null, null]]);
  let frontier = [null];
  while (frontier.length > 0) {
    const next = [];
    for (const [dir, from] of importers) {
      if (index.has(dir) || ![...from].some((f) => frontier.includes(f))) continue;
      index.set(dir, order.length);
      order.push(dir);
      next.push(dir);
    }
    next.sort();
    frontier = next;
  }
  if (order.length !== importers.size) throw new Error("bundled packages unreachable from pyprov");
  return order.map((dir) => {
    const name = names.get(dir);
    const pkg = JSON.parse(
      readFileSync(new URL(`../${dir}/package.json`, import.meta.url), "utf8"),
    );
    if (pkg.name !== name) throw new Error(`${dir}/package.json names ${pkg.name}, not ${name}`);
    const via = [...importers.get(dir)].map((d) => index.get(d));
    // The first importer is one already listed (breadth-first).
    via.sort((a, b) => (a ?? -1) - (b ?? -1));
    return { name, version: pkg.version, via };
  });
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
