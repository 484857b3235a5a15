/**
 * Paths to files that ship with pyprov: found from this module's location by
 * walking up to the package root (the directory holding pyprov's
 * package.json), so the same code works from src/ (tests), from the bundled
 * dist/.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "trust-roots"))) return dir;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

export const PACKAGE_ROOT = findPackageRoot();
export const DEFAULT_TRUSTED_ROOT_PATH = join(PACKAGE_ROOT, "trust-roots", "trusted_root.json");

let version: string | undefined;
/** pyprov's own version, from package.json. */
export function pyprovVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
        version?: unknown;
      };
      version = typeof pkg.version === "string" ? pkg.version : "0.0.0";
    } catch {
      version = "0.0.0";
    }
  }
  return version;
}
