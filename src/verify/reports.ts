/**
 * Reports for files that never reach the verifier: missing provenance, a
 * downloaded file whose digest differs, an input that gave no verdict.
 */
import { PyprovError, describeError, type ErrorCode } from "../errors.js";
import type { RejectedTarget, ResolvedFile } from "../resolve/targets.js";
import type { TargetReport } from "./types.js";

/** Copy what resolution learned (project, version, URL, origin, warnings) onto a report. */
export function decorate(report: TargetReport, file: Partial<ResolvedFile>): void {
  if (file.project !== undefined) report.target.project = file.project;
  if (file.version !== undefined) report.target.version = file.version;
  if (file.url !== undefined) report.target.url = file.url;
  if (file.origin !== undefined) report.target.origin = file.origin;
  if (file.warnings?.length) report.warnings.unshift(...file.warnings);
}

export function baseReport(
  file: Partial<ResolvedFile> & { filename: string; sha256: string },
): TargetReport {
  const report: TargetReport = {
    target: { filename: file.filename, sha256: file.sha256, path: file.path },
    provenance: undefined,
    claimedPublisher: undefined,
    identity: undefined,
    attestations: [],
    expectations: [],
    checks: [],
    warnings: [],
    verdict: "error",
    failure: undefined,
    error: undefined,
  };
  decorate(report, file);
  return report;
}

export function missingReport(
  file: ResolvedFile & { sha256: string },
  reason: string,
): TargetReport {
  const report = baseReport(file);
  report.checks.push({ id: "coverage", ok: false, code: "NO_ATTESTATIONS", message: reason });
  report.verdict = "missing";
  report.failure = { code: "NO_ATTESTATIONS", message: reason };
  return report;
}

export function failedReport(
  file: ResolvedFile & { sha256: string },
  code: "ARTIFACT_DIGEST",
  message: string,
): TargetReport {
  const report = baseReport(file);
  report.checks.push({ id: "subject-digest", ok: false, code, message });
  report.verdict = "failed";
  report.failure = { code, message };
  return report;
}

export function errorReport(
  file: Partial<ResolvedFile> & { filename: string; sha256: string },
  err: unknown,
): TargetReport {
  const report = baseReport(file);
  const code: ErrorCode = err instanceof PyprovError ? err.code : "INTERNAL";
  report.error = { code, message: describeError(err) };
  return report;
}

/**
 * An entry that failed at resolution (resolve/spec.ts): not from an index
 * (reported as missing provenance that only a policy exception excuses), an
 * unpinned requirement with several indexes, or a file of another project.
 */
export function rejectedReport(target: RejectedTarget): TargetReport {
  const report = baseReport({
    filename: target.display,
    sha256: target.sha256 ?? "",
    origin: target.origin,
    project: target.project,
    ...(target.version !== undefined ? { version: target.version } : {}),
    ...(target.url !== undefined ? { url: target.url } : {}),
  });
  const id = target.code === "ENTRY_MISMATCH" ? "subject-name" : "coverage";
  report.checks.push({ id, ok: false, code: target.code, message: target.message });
  report.verdict = target.code === "NOT_FROM_INDEX" ? "missing" : "failed";
  report.failure = { code: target.code, message: target.message };
  return report;
}
