/**
 * What pyprov's runtime dependencies are, as functions: every function,
 * getter and setter reachable from each package's exports (classes, their
 * prototypes and statics, namespaces of functions), by identity, and the
 * property names of every class and prototype. Taken before pyprov is
 * imported and again after it has verified something, the two must be equal:
 * pyprov replaces nothing in another package. Plain JavaScript, so that a
 * test can run it in-process (over src/) and in a fresh `node` process (over
 * the built dist/index.js, test/support/isolation-probe.mjs).
 */
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";

const PACKAGE_JSON = new URL("../../package.json", import.meta.url);
const requireHere = createRequire(PACKAGE_JSON);

/** The runtime dependencies named in package.json. */
export function runtimeDependencies() {
  return Object.keys(JSON.parse(readFileSync(PACKAGE_JSON, "utf8")).dependencies ?? {});
}

/** The real path of the file `require(name)` loads, resolved from the repository's package.json. */
export function resolvedPath(name) {
  return realpathSync(requireHere.resolve(name));
}

/** The package as `require()` from the repository gives it (the installed copy in node_modules). */
export function requireInstalled(name) {
  return requireHere(name);
}

const isPrototype = (o) =>
  typeof o === "object" &&
  o !== null &&
  Object.prototype.hasOwnProperty.call(o, "constructor") &&
  o.constructor?.prototype === o;

function walk(value, path, depth, out, seen) {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return;
  if (seen.has(value)) return;
  seen.add(value);
  const structural = typeof value === "function" || isPrototype(value);
  if (structural) {
    out.set(`${path} [keys]`, Reflect.ownKeys(value).map(String).sort().join(","));
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof value === "function" && (key === "caller" || key === "arguments")) continue;
    const d = Reflect.getOwnPropertyDescriptor(value, key);
    if (!d) continue;
    const p = `${path}.${String(key)}`;
    let child = d.value;
    if (d.get || d.set) {
      out.set(`${p} [get]`, d.get);
      out.set(`${p} [set]`, d.set);
      // Module objects export through getters (CommonJS re-exports): read them
      // there, never on a class or a prototype.
      if (structural || !d.get) continue;
      try {
        child = d.get.call(value);
      } catch {
        continue;
      }
    }
    if (typeof child === "function") out.set(p, child);
    if (depth > 0) walk(child, p, depth - 1, out, seen);
  }
}

/** Snapshot of the named packages (default: every runtime dependency), loaded as `import()` loads them. */
export async function snapshotDependencies(names = runtimeDependencies()) {
  const out = new Map();
  for (const name of names) {
    const ns = await import(name);
    walk(ns, name, 4, out, new WeakSet());
    // The CommonJS exports object itself, as require() gives it.
    try {
      walk(requireHere(name), `require(${name})`, 4, out, new WeakSet());
    } catch {
      // An ES-module-only package: import() above is all there is.
    }
  }
  return out;
}

/** The paths whose function, getter, setter or key list differ between two snapshots. */
export function diffSnapshots(before, after) {
  const changed = [];
  for (const [k, v] of before) if (!after.has(k) || after.get(k) !== v) changed.push(k);
  for (const k of after.keys()) if (!before.has(k)) changed.push(k);
  return changed;
}
