/**
 * The verification pipeline, top to bottom:
 *
 *   resolve targets → find provenance → verify cryptography → check identity
 *   (publisher claim and the user's expectations) → verdict per file → exit code
 *
 * Everything here is plain data in and out; the CLI only parses flags and
 * renders the result (report/).
 */
import { PyprovError, describeError, type ErrorCode } from "./errors.js";
import type { Expectations } from "./identity/expectations.js";
import { findSidecars, hashFile } from "./inputs/local.js";
import {
  attestationsOnly,
  loadAttestationFile,
  loadProvenanceFile,
  type LoadedProvenance,
} from "./pep740/load.js";
import { loadTrustedRoot, type LoadedTrustRoot } from "./sigstore/trust-root.js";
import { AttestationCryptoVerifier } from "./sigstore/verifier.js";
import type { FileIdentity } from "./verify/attestation.js";
import { verifyTarget } from "./verify/target.js";
import type { TargetReport } from "./verify/types.js";

/** A file to verify: on disk, or known only by name and digest (as a lockfile knows it). */
export type TargetInput =
  { kind: "path"; path: string } | { kind: "digest"; filename: string; sha256: string };

export interface VerifyOptions {
  targets: TargetInput[];
  /** Explicit provenance file; otherwise sidecars beside each DIST are used. */
  provenance?: string | undefined;
  /** Explicit attestation files. */
  attestations?: string[] | undefined;
  expectations?: Expectations | undefined;
  /** trusted_root.json path; the bundled production root by default. */
  trustedRoot?: string | undefined;
  /** Reuse an already loaded trust root (library use, benchmarks). */
  trustRoot?: LoadedTrustRoot | undefined;
}

export interface VerifyRun {
  trustRoot: { source: string; sha256: string };
  results: TargetReport[];
  exitCode: 0 | 1 | 2;
}

/** Exit code for a set of results: 2 if any target had no verdict, else 1 if any failed. */
export function exitCodeFor(results: TargetReport[]): 0 | 1 | 2 {
  if (results.some((r) => r.verdict === "error")) return 2;
  if (results.length === 0 || results.some((r) => r.verdict !== "verified")) return 1;
  return 0;
}

export async function verifyDistributions(opts: VerifyOptions): Promise<VerifyRun> {
  const explicit = opts.provenance !== undefined || (opts.attestations?.length ?? 0) > 0;
  if (opts.targets.length === 0) throw new PyprovError("USAGE", "no distribution to verify");
  if (explicit && opts.targets.length > 1) {
    throw new PyprovError(
      "USAGE",
      "--provenance and --attestation apply to a single distribution; give one DIST (or verify each separately)",
    );
  }
  // 0. Trust material: without it no verdict is possible.
  const trustRoot = opts.trustRoot ?? loadTrustedRoot(opts.trustedRoot);
  const crypto = new AttestationCryptoVerifier(trustRoot);
  const expectations = opts.expectations ?? {};

  const results: TargetReport[] = [];
  for (const target of opts.targets) {
    let file: FileIdentity & { path?: string | undefined };
    try {
      // 1. Resolve the target to a name and a digest.
      file =
        target.kind === "path"
          ? await hashFile(target.path)
          : { filename: target.filename, sha256: target.sha256, path: undefined };
    } catch (err) {
      results.push(errorReport(displayName(target), "", undefined, err));
      continue;
    }
    // 2. Find and parse its provenance.
    let provenance: LoadedProvenance | undefined;
    try {
      provenance = explicit ? loadExplicit(opts) : loadSidecars(target);
    } catch (err) {
      results.push(errorReport(file.filename, file.sha256, file.path, err));
      continue;
    }
    if (!provenance) {
      results.push(missingReport(file, target));
      continue;
    }
    // 3–5. Cryptography, identity, expectations: one report per file.
    results.push(verifyTarget(file, provenance, { crypto, expectations }));
  }
  return {
    trustRoot: { source: trustRoot.source, sha256: trustRoot.sha256 },
    results,
    exitCode: exitCodeFor(results),
  };
}

function loadExplicit(opts: VerifyOptions): LoadedProvenance {
  const parts: LoadedProvenance[] = [];
  if (opts.provenance !== undefined) parts.push(loadProvenanceFile(opts.provenance));
  const atts = (opts.attestations ?? []).map(loadAttestationFile);
  if (atts.length > 0) parts.push(attestationsOnly(atts));
  return mergeProvenance(parts);
}

function loadSidecars(target: TargetInput): LoadedProvenance | undefined {
  if (target.kind !== "path") return undefined;
  const found = findSidecars(target.path);
  const parts: LoadedProvenance[] = [];
  if (found.provenance) parts.push(loadProvenanceFile(found.provenance));
  const atts = found.attestations.map(loadAttestationFile);
  if (atts.length > 0) parts.push(attestationsOnly(atts));
  return parts.length > 0 ? mergeProvenance(parts) : undefined;
}

function mergeProvenance(parts: LoadedProvenance[]): LoadedProvenance {
  if (parts.length === 1) return parts[0]!;
  return {
    kind: parts.some((p) => p.kind === "provenance") ? "provenance" : "attestations",
    sources: parts.flatMap((p) => p.sources),
    groups: parts.flatMap((p) => p.groups),
  };
}

function displayName(t: TargetInput): string {
  return t.kind === "path" ? t.path : t.filename;
}

function missingReport(
  file: FileIdentity & { path?: string | undefined },
  target: TargetInput,
): TargetReport {
  const where =
    target.kind === "path"
      ? `looked for ${findSidecars(target.path)
          .looked.map((p) => `"${p}"`)
          .join(", ")}`
      : "give --provenance or --attestation";
  return {
    target: { filename: file.filename, sha256: file.sha256, path: file.path },
    provenance: undefined,
    claimedPublisher: undefined,
    identity: undefined,
    attestations: [],
    expectations: [],
    checks: [
      {
        id: "coverage",
        ok: false,
        code: "NO_ATTESTATIONS",
        message: `no provenance found (${where})`,
      },
    ],
    warnings: [],
    verdict: "failed",
    failure: { code: "NO_ATTESTATIONS", message: `no provenance found (${where})` },
    error: undefined,
  };
}

function errorReport(
  filename: string,
  sha256: string,
  path: string | undefined,
  err: unknown,
): TargetReport {
  const code: ErrorCode = err instanceof PyprovError ? err.code : "INTERNAL";
  return {
    target: { filename, sha256, path },
    provenance: undefined,
    claimedPublisher: undefined,
    identity: undefined,
    attestations: [],
    expectations: [],
    checks: [],
    warnings: [],
    verdict: "error",
    failure: undefined,
    error: { code, message: describeError(err) },
  };
}
