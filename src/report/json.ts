/**
 * JSON output. The document is versioned: `schemaVersion` changes only when a
 * field is removed or its meaning changes; new fields may be added within a
 * version. The README documents every field.
 */
import { pyprovVersion } from "../paths.js";
import type { SkippedTarget } from "../resolve/targets.js";
import { releaseLevels, type ReleaseLevel } from "../slsa/level.js";
import type { TargetReport } from "../verify/types.js";

export const JSON_SCHEMA_VERSION = 1;

export interface VerifyDocument {
  schemaVersion: typeof JSON_SCHEMA_VERSION;
  tool: { name: "pyprov"; version: string };
  command: "verify";
  trustedRoot: { source: string; sha256: string } | undefined;
  exitCode: 0 | 1 | 2;
  summary: { total: number; verified: number; failed: number; missing: number; errors: number };
  results: TargetReport[];
  /** SLSA Build level of each release among the results: the minimum over its files. */
  releases: ReleaseLevel[];
  /** Requirements/lock entries with no index provenance by nature (editable, VCS, path, URL). */
  skipped: SkippedTarget[];
}

export function verifyDocument(
  results: TargetReport[],
  trustedRoot: VerifyDocument["trustedRoot"],
  exitCode: 0 | 1 | 2,
  skipped: SkippedTarget[] = [],
): VerifyDocument {
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: "pyprov", version: pyprovVersion() },
    command: "verify",
    trustedRoot,
    exitCode,
    summary: {
      total: results.length,
      verified: results.filter((r) => r.verdict === "verified").length,
      failed: results.filter((r) => r.verdict === "failed").length,
      missing: results.filter((r) => r.verdict === "missing").length,
      errors: results.filter((r) => r.verdict === "error").length,
    },
    results,
    releases: releaseLevels(results),
    skipped,
  };
}

/** Stable JSON text: undefined fields are omitted, bigint never appears. */
export function renderJson(doc: unknown): string {
  return JSON.stringify(doc, null, 2) + "\n";
}
