/**
 * Applying a policy (and SLSA levels) to one file's report. Called once per
 * file, for every verdict, after verification:
 *
 *   - `slsa` is always set (with no policy, no builder is trusted for L3);
 *   - a SLSA predicate that contradicts its certificate turns "verified"
 *     into "failed" (PREDICATE_MISMATCH);
 *   - with a policy, `policy` is set and its rules are checked:
 *       missing  → require_attestation decides (false: allowed, a warning);
 *       verified → publishers (every attestation's certificate must match
 *                  one), then min_slsa_level; the first violation turns the
 *                  verdict into "failed";
 *       failed / error → unchanged: no policy or exception can pass them.
 *   - an active exception waives the rules it names (a warning says so); an
 *     expired one does not apply (a warning says so too).
 */
import { parseDistributionFilename } from "../pypi/filename.js";
import { canonicalizeName } from "../pypi/names.js";
import { classifySlsa, type Contradiction } from "../slsa/level.js";
import { levelNumber, shortLevel } from "../slsa/types.js";
import type { CheckResult, TargetReport } from "../verify/types.js";
import type { ExceptionEntry, LoadedPolicy } from "./load.js";
import { exceptionsFor, resolveRule } from "./match.js";
import { describePolicyPublisher, matchPolicyPublisher, type PublisherMatch } from "./publisher.js";
import type { Waivable } from "./schema.js";

export interface ApplyOptions {
  /** The clock exceptions are judged by (default: now). */
  now?: Date;
}

/**
 * The canonical project name whose rules apply: the package the installer
 * installs (the requirement's, lock entry's or index page's project), else
 * the one the file's name gives.
 */
export function packageOf(report: TargetReport): string | undefined {
  if (report.target.project !== undefined) return canonicalizeName(report.target.project);
  try {
    return parseDistributionFilename(report.target.filename).name;
  } catch {
    return undefined;
  }
}

export function applyPolicy(
  report: TargetReport,
  policy: LoadedPolicy | undefined,
  opts: ApplyOptions = {},
): TargetReport {
  const { result: slsa, contradictions } = classifySlsa(report, {
    trustedBuilders: policy?.trustedBuilders ?? [],
  });
  if (contradictions.length > 0) failContradictions(report, contradictions);
  report.slsa = slsa;
  if (!policy) return report;

  const name = packageOf(report);
  const state: NonNullable<TargetReport["policy"]> = {
    source: policy.source,
    sha256: policy.sha256,
    package: name,
    results: [],
  };
  report.policy = state;
  if (name === undefined || report.verdict === "error") return report;

  const resolved = resolveRule(policy, name);
  state.rule = resolved.describe;
  const rule = resolved.rule;
  if (resolved.ambiguity) report.warnings.push(resolved.ambiguity);
  const now = opts.now ?? new Date();
  const { active, expired } = exceptionsFor(policy, name, now);
  for (const e of expired) {
    report.warnings.push(
      `exception for ${e.package} expired on ${e.expires} and no longer applies (${e.reason})`,
    );
  }
  if (report.verdict === "failed") {
    if (active.length > 0) {
      report.warnings.push(
        `the exception for ${active[0]!.package} does not apply: no exception waives a verification failure`,
      );
    }
    return report;
  }

  const results = state.results;
  const waivedBy = (what: Waivable): ExceptionEntry | undefined =>
    active.find((e) => e.waive.includes(what));
  /** A violation, unless an active exception waives it. */
  const violate = (
    what: Waivable,
    check: Omit<CheckResult, "ok"> & { code: NonNullable<CheckResult["code"]> },
  ): void => {
    const exception = waivedBy(what);
    if (exception) {
      const note = `exception for ${exception.package} (until ${exception.expires}: ${exception.reason})`;
      results.push({ id: check.id, ok: true, message: `waived by ${note}: ${check.message}` });
      report.warnings.push(`${check.message}; waived by ${note}`);
      return;
    }
    results.push({ ...check, ok: false });
  };

  if (report.verdict === "missing" && report.failure?.code === "NOT_FROM_INDEX") {
    // A direct URL, VCS, path or editable requirement: nothing an index
    // attests, so require_attestation: false does not cover it; only an
    // exception naming the package does.
    violate("require_attestation", {
      id: "policy-attestation",
      code: "NOT_FROM_INDEX",
      message: `${name} is not installed from a package index; only a policy exception for it can allow that (rule ${resolved.describe})`,
    });
    return report;
  }
  if (report.verdict === "missing") {
    if (!rule.require_attestation) {
      results.push({
        id: "policy-attestation",
        ok: true,
        message: `the policy allows ${name} without provenance (require_attestation: false, rule ${resolved.describe}): SLSA L0`,
      });
      report.warnings.push(
        `no provenance: allowed by the policy (require_attestation: false for ${resolved.describe})`,
      );
    } else {
      violate("require_attestation", {
        id: "policy-attestation",
        code: "NO_ATTESTATIONS",
        message: `the policy requires provenance for ${name} (rule ${resolved.describe}), and this file has none`,
      });
    }
    return report;
  }

  // verified: publishers, then the minimum SLSA level.
  let publisherFailed: string | undefined;
  if (rule.publishers.length === 0) {
    results.push({
      id: "policy-publisher",
      ok: true,
      message: `any verified publisher is allowed for ${name} (rule ${resolved.describe} lists none)`,
    });
  } else {
    const outcome = checkPublishers(report, rule.publishers);
    if (outcome.ok) {
      results.push({ id: "policy-publisher", ok: true, message: outcome.message });
      for (const w of outcome.warnings) if (!report.warnings.includes(w)) report.warnings.push(w);
    } else {
      violate("publishers", {
        id: "policy-publisher",
        code: outcome.code,
        message: `${outcome.reason} (rule ${resolved.describe})`,
      });
      if (!waivedBy("publishers")) publisherFailed = outcome.reason;
    }
  }
  const n = levelNumber(slsa.level);
  const min = rule.min_slsa_level;
  if (n !== undefined && n < min) {
    violate("min_slsa_level", {
      id: "policy-slsa",
      code: "POLICY_SLSA_LEVEL",
      message:
        `SLSA Build level ${shortLevel(slsa.level)} is below the minimum L${min} the policy requires ` +
        `for ${name} (rule ${resolved.describe}); ${slsa.whyNotHigher}`,
    });
  } else if (n !== undefined) {
    results.push({
      id: "policy-slsa",
      ok: true,
      message: `SLSA Build level ${shortLevel(slsa.level)} meets the minimum L${min} (rule ${resolved.describe})`,
    });
  }
  const exceptionUsed = results.some((r) => r.ok && r.message.startsWith("waived by "));
  if (exceptionUsed) {
    const e = active[0]!;
    results.push({
      id: "policy-exception",
      ok: true,
      message: `exception for ${e.package} applies until ${e.expires}: ${e.reason}`,
    });
  }

  const first = results.find((r) => !r.ok);
  if (first && report.verdict === "verified") {
    report.verdict = "failed";
    report.failure = { code: first.code ?? "VERIFICATION", message: first.message };
  }
  if (publisherFailed !== undefined) {
    // An identity-policy failure is a failed verification (slsa-levels.md §3).
    report.slsa = {
      level: "FAILED",
      evidence: slsa.evidence,
      whyNotHigher: `the publisher is not allowed by the policy: ${publisherFailed}`,
    };
  }
  return report;
}

type PublishersOutcome =
  | { ok: true; message: string; warnings: string[] }
  | { ok: false; code: "POLICY_PUBLISHER" | "REPOSITORY_ID_MISMATCH"; reason: string };

/** Every attestation's certificate must match one of the policy's publishers. */
function checkPublishers(
  report: TargetReport,
  publishers: Parameters<typeof matchPolicyPublisher>[0][],
): PublishersOutcome {
  const warnings: string[] = [];
  const matched = new Set<string>();
  for (const a of report.attestations) {
    const cert = a.certificate;
    if (!cert) {
      return {
        ok: false,
        code: "POLICY_PUBLISHER",
        reason: `attestation ${a.source} has no certificate to match the policy's publishers against`,
      };
    }
    const outcomes: { p: (typeof publishers)[number]; m: PublisherMatch }[] = publishers.map(
      (p) => ({ p, m: matchPolicyPublisher(p, { claims: cert.claims, identity: cert.identity }) }),
    );
    const hit = outcomes.find((o) => o.m.ok);
    if (hit && hit.m.ok) {
      matched.add(describePolicyPublisher(hit.p));
      for (const w of hit.m.warnings) if (!warnings.includes(w)) warnings.push(w);
      continue;
    }
    const jacked = outcomes.find((o) => !o.m.ok && o.m.code === "REPOSITORY_ID_MISMATCH");
    if (jacked && !jacked.m.ok) {
      return { ok: false, code: "REPOSITORY_ID_MISMATCH", reason: jacked.m.reason };
    }
    const reasons = outcomes.map((o, i) =>
      o.m.ok ? "" : `#${i + 1} ${describePolicyPublisher(o.p)}: ${o.m.reason}`,
    );
    return {
      ok: false,
      code: "POLICY_PUBLISHER",
      reason:
        publishers.length === 1
          ? `the certificate does not match the policy's publisher ${reasons[0]!.replace(/^#1 /, "")}`
          : `the certificate matches none of the policy's ${publishers.length} publishers: ${reasons.join("; ")}`,
    };
  }
  return {
    ok: true,
    message: `matches the policy's publisher ${[...matched].join(" and ")}`,
    warnings,
  };
}

/** SLSA predicate fields contradicting the certificate: a verification failure. */
function failContradictions(report: TargetReport, contradictions: Contradiction[]): void {
  for (const c of contradictions) {
    const a = report.attestations.find((x) => x.source === c.source);
    if (!a) continue;
    a.checks.push({
      id: "slsa-predicate",
      ok: false,
      code: "PREDICATE_MISMATCH",
      message: c.message,
    });
    a.ok = false;
  }
  const failing = report.attestations.filter((a) => !a.ok).length;
  const coverage = report.checks.find((c) => c.id === "coverage");
  const failedCoverage: CheckResult = {
    id: "coverage",
    ok: false,
    code: "PREDICATE_MISMATCH",
    message: `${failing} of ${report.attestations.length} attestation(s) failed`,
  };
  if (coverage) Object.assign(coverage, failedCoverage);
  else report.checks.push(failedCoverage);
  report.verdict = "failed";
  report.failure = {
    code: "PREDICATE_MISMATCH",
    message: `SLSA provenance contradicts its certificate: ${contradictions[0]!.message}`,
  };
}
