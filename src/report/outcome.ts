/**
 * What the machine-readable reports (SARIF, VSA, CycloneDX) share: each
 * file's outcome under the run's exit semantics, its package identity and
 * purl, URIs for local paths, and the versions of the verifier.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { exitCodeFor } from "../pipeline.js";
import { PACKAGE_ROOT, pyprovVersion } from "../paths.js";
import { parseDistributionFilename } from "../pypi/filename.js";
import { canonicalizeName } from "../pypi/names.js";
import type { TargetReport } from "../verify/types.js";

/** pyprov's stable identity in reports (VSA verifier.id, SARIF informationUri, CycloneDX tool). */
export const PYPROV_URI = "https://github.com/pyprov/pyprov";

/**
 * pass: counts as a pass (exit 0); warn: a pass with something to say
 * (warnings, or missing provenance that is allowed); fail: exit 1; error: no
 * verdict (exit 2). The same rule as the run's exit code, file by file.
 */
export type Outcome = "pass" | "warn" | "fail" | "error";

export function outcomeOf(r: TargetReport, allowMissing: boolean): Outcome {
  const code = exitCodeFor([r], allowMissing);
  if (code === 2) return "error";
  if (code === 1) return "fail";
  return r.verdict === "missing" || r.warnings.length > 0 ? "warn" : "pass";
}

/** The file's project (PEP 503 name) and version: from its filename, else from the index. */
export function packageOf(r: TargetReport): { name: string; version: string } | undefined {
  try {
    const parsed = parseDistributionFilename(r.target.filename);
    return { name: parsed.name, version: parsed.version };
  } catch {
    const { project, version } = r.target;
    return project !== undefined && version !== undefined
      ? { name: canonicalizeName(project), version }
      : undefined;
  }
}

/** purl-spec percent-encoding: everything but unreserved characters. */
function purlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

/**
 * `pkg:pypi/<name>@<version>?file_name=<filename>` (purl-spec pypi type: the
 * name PEP 503-normalised, the `file_name` qualifier selecting one file).
 */
export function purlOf(r: TargetReport): string | undefined {
  const pkg = packageOf(r);
  if (!pkg) return undefined;
  const base = `pkg:pypi/${purlEncode(canonicalizeName(pkg.name))}@${purlEncode(pkg.version)}`;
  return r.target.filename ? `${base}?file_name=${purlEncode(r.target.filename)}` : base;
}

/** A URL as is; a local path as a `file:` URI (relative paths stay relative: `file:dist/x.whl`). */
export function uriOf(pathOrUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) return pathOrUrl;
  if (isAbsolute(pathOrUrl)) return pathToFileURL(pathOrUrl).href;
  return `file:${pathSegments(pathOrUrl)}`;
}

/**
 * A location for SARIF: a path relative to `cwd` (the repository root in CI)
 * when the file is inside it, else a `file://` URL; URLs unchanged.
 */
export function relativeUri(pathOrUrl: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) return pathOrUrl;
  const abs = resolve(cwd, pathOrUrl);
  const rel = relative(cwd, abs);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return pathToFileURL(abs).href;
  return pathSegments(rel);
}

function pathSegments(path: string): string {
  return path
    .split(sep === "\\" ? /[\\/]/ : "/")
    .filter((s, i) => !(s === "." && i === 0))
    .map(encodeURIComponent)
    .join("/");
}

let sigstoreVersion: string | undefined;
/** The installed @sigstore/verify's version (the library that checks the cryptography). */
export function sigstoreVerifyVersion(): string {
  if (sigstoreVersion === undefined) {
    try {
      const require = createRequire(join(PACKAGE_ROOT, "package.json"));
      const pkg = JSON.parse(
        readFileSync(require.resolve("@sigstore/verify/package.json"), "utf8"),
      ) as { version?: unknown };
      sigstoreVersion = typeof pkg.version === "string" ? pkg.version : "unknown";
    } catch {
      sigstoreVersion = "unknown";
    }
  }
  return sigstoreVersion;
}

/** `{pyprov, "@sigstore/verify"}`: the verifier's version, as a VSA states it. */
export function verifierVersions(): Record<string, string> {
  return { pyprov: pyprovVersion(), "@sigstore/verify": sigstoreVerifyVersion() };
}

/** The reason a file is not a clean pass, in one line (failure, error, or its warnings). */
export function reasonOf(r: TargetReport): string {
  if (r.verdict === "error") return r.error?.message ?? "no verdict";
  if (r.verdict === "failed" || r.verdict === "missing") {
    return (
      r.failure?.message ?? (r.verdict === "missing" ? "no provenance" : "verification failed")
    );
  }
  return r.warnings.join("; ");
}
