/**
 * Paths to files that ship with pyprov. This module sits directly under src/
 * so that the same relative URL works from src/ (tests) and from the bundled
 * dist/ (the CLI).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DEFAULT_TRUSTED_ROOT_PATH = fileURLToPath(
  new URL("../trust-roots/trusted_root.json", import.meta.url),
);

let version: string | undefined;
/** pyprov's own version, from package.json. */
export function pyprovVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
        version?: unknown;
      };
      version = typeof pkg.version === "string" ? pkg.version : "0.0.0";
    } catch {
      version = "0.0.0";
    }
  }
  return version;
}
