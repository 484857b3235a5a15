/**
 * Putting a package's continuity findings on its reports: `continuity`,
 * warnings, and a failing finding's verdict and code.
 */
import { PyprovError, describeError } from "../errors.js";
import type { CheckResult, TargetReport } from "../verify/types.js";
import type { ContinuityFinding, ContinuityReport } from "./types.js";

/** The index page could not be read: no continuity verdict for the package's files. */
export function noHistory(reports: TargetReport[], err: unknown): void {
  const message = `publisher continuity not checked: ${describeError(err)}`;
  for (const r of reports) {
    if (r.verdict === "verified" || r.verdict === "missing") {
      r.verdict = "error";
      r.failure = undefined;
      r.error = { code: err instanceof PyprovError ? err.code : "INTERNAL", message };
    } else {
      r.warnings.push(message);
    }
  }
}

export interface Findings {
  findings: ContinuityFinding[];
  names: ContinuityFinding[];
  downgrade: ContinuityFinding | undefined;
  /** Whether the look-alike checks ran for this package. */
  checked: boolean;
}

export function attach(
  r: TargetReport,
  base: Omit<ContinuityReport, "results">,
  f: Findings,
): void {
  const applies = (x: ContinuityFinding): boolean =>
    x.severity === "fail" &&
    (x === f.downgrade
      ? r.verdict === "missing"
      : r.verdict === "verified" || r.verdict === "missing");
  const failingHistory = f.findings.filter(applies);
  const failingNames = f.names.filter(applies);
  const results: CheckResult[] = [
    checkResult("continuity-history", failingHistory, f.findings, base),
  ];
  if (f.checked) results.push(checkResult("continuity-names", failingNames, f.names, base));
  r.continuity = { ...base, results };
  const first = failingHistory[0] ?? failingNames[0];
  for (const x of base.findings) {
    if (x !== first && !r.warnings.includes(x.message)) r.warnings.push(x.message);
  }
  if (!first) return;
  const wasVerified = r.verdict === "verified";
  r.verdict = "failed";
  r.failure = { code: first.code ?? "VERIFICATION", message: first.message };
  const identityFailure =
    first.code === "PUBLISHER_CHANGED" || first.code === "REPOSITORY_REREGISTERED";
  if (wasVerified && r.slsa && identityFailure) {
    r.slsa = {
      ...r.slsa,
      level: "FAILED",
      whyNotHigher: `the publisher is not the one that published the previous releases: ${first.message}`,
    };
  }
}

function checkResult(
  id: "continuity-history" | "continuity-names",
  failing: ContinuityFinding[],
  all: ContinuityFinding[],
  base: Omit<ContinuityReport, "results">,
): CheckResult {
  const first = failing[0];
  if (first) return { id, ok: false, code: first.code ?? "VERIFICATION", message: first.message };
  if (id === "continuity-names") {
    return {
      id,
      ok: true,
      message:
        all.length === 0
          ? "no look-alike name signal"
          : `${all.length} look-alike signal(s), as warnings`,
    };
  }
  const compared = base.releases.length - 1;
  return {
    id,
    ok: true,
    message:
      all.length === 0
        ? `${compared} previous release(s) compared: the same publisher, no downgrade`
        : `${compared} previous release(s) compared: ${all.length} finding(s), none failing`,
  };
}
