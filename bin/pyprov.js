#!/usr/bin/env node
// pyprov command-line entry. Node's compile cache makes repeated start-up
// cheaper. The CLI runs from dist/cli.js, one file with its dependencies
// bundled in, only while node_modules holds exactly the dependency versions
// that file was built from (dist/cli.deps.json, written by `npm run build`);
// otherwise (an `npm update`, a missing or unreadable manifest) it runs
// dist/cli-unbundled.js, which imports every dependency from node_modules.
import module from "node:module";

try {
  module.enableCompileCache?.();
} catch {
  // The cache is an optimisation only.
}

/** Whether every package bundled into dist/cli.js is installed at the version it was built from. */
function bundleIsFresh() {
  try {
    // require() of node:fs loads less than an ES import of it.
    const { readFileSync } = module.createRequire(import.meta.url)("node:fs");
    const read = (path) => JSON.parse(readFileSync(path, "utf8"));
    const { packages } = read(new URL("../dist/cli.deps.json", import.meta.url));
    if (!Array.isArray(packages) || typeof module.findPackageJSON !== "function") return false;
    const root = new URL("../package.json", import.meta.url).href;
    // Each package is resolved as Node resolves it for the unbundled CLI: from
    // pyprov, or from a package that imports it (listed earlier), ...
    const found = [];
    const base = (i) => (i === null ? root : found[i]);
    for (const p of packages) {
      const path = module.findPackageJSON(p.name, base(p.via[0]));
      if (path === undefined) return false;
      const pkg = read(path);
      if (pkg.name !== p.name || pkg.version !== p.version) return false;
      found.push(path);
    }
    // ... and every other importer must find that same copy.
    for (let i = 0; i < packages.length; i++) {
      for (const v of packages[i].via.slice(1)) {
        if (module.findPackageJSON(packages[i].name, base(v)) !== found[i]) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

await import(bundleIsFresh() ? "../dist/cli.js" : "../dist/cli-unbundled.js");
