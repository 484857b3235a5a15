/**
 * Comparing the releases of a window, oldest first: identity changes between
 * consecutive attested releases, downgrades (a release without provenance
 * after attested ones), and releases nothing could be told about.
 *
 * Yanked history releases are listed but not compared: their maintainers
 * withdrew them. A withheld (HTTP 403) or unreachable release is "unknown":
 * it is skipped, never counted as a downgrade.
 */
import type { FailureCode } from "../errors.js";
import {
  classifyChange,
  describeChange,
  describeIdentity,
  sameIdentity,
  type ObservedIdentity,
} from "./identity.js";
import type { ContinuityFinding, HistoryRelease, IdentityField } from "./types.js";

/** A release of the window with the certificates its identities were read from. */
export interface WindowRelease {
  release: HistoryRelease;
  observed: ObservedIdentity[];
}

export interface HistoryRules {
  /** Identity fields that may change between releases (policy `continuity.allow_changes`). */
  allowChanges: readonly IdentityField[];
  /** A release without provenance after attested ones is a warning (policy `allow_downgrade`). */
  allowDowngrade: boolean;
  /** The policy publisher that pins this identity by its IDs, described; undefined if none. */
  pinnedBy?: (o: ObservedIdentity) => string | undefined;
}

export interface WindowFindings {
  findings: ContinuityFinding[];
  /** The downgrade finding that applies to the current release's files without provenance. */
  downgrade: ContinuityFinding | undefined;
}

const FAIL_CODE: Record<"reregistered" | "publisher-changed", FailureCode> = {
  reregistered: "REPOSITORY_REREGISTERED",
  "publisher-changed": "PUBLISHER_CHANGED",
};

/** The identity of `prev` that `b` most likely continues: same repository ID, else same name. */
function closest(prev: ObservedIdentity[], b: ObservedIdentity): ObservedIdentity {
  return (
    prev.find(
      (a) =>
        a.identity.repositoryId !== undefined &&
        a.identity.repositoryId === b.identity.repositoryId,
    ) ??
    prev.find(
      (a) => a.identity.repository !== undefined && a.identity.repository === b.identity.repository,
    ) ??
    prev.find((a) => a.identity.kind === b.identity.kind) ??
    prev[0]!
  );
}

export function compareWindow(window: WindowRelease[], rules: HistoryRules): WindowFindings {
  const findings: ContinuityFinding[] = [];
  let prev: WindowRelease | undefined;
  let attested: WindowRelease | undefined;
  let downgrade: ContinuityFinding | undefined;
  for (const w of window) {
    const r = w.release;
    if (!r.current && r.yanked) continue;
    if (r.status === "unknown") {
      if (!r.current) {
        const why =
          r.files.find((f) => f.message !== undefined)?.message ?? "no file could be examined";
        findings.push({
          kind: "unknown",
          severity: "warn",
          to: r.version,
          message: `history: ${r.version} is unknown (${why}); it is skipped, not counted as a downgrade`,
        });
      }
      continue;
    }
    if (w.observed.length > 1) {
      findings.push({
        kind: "mixed-identities",
        severity: "warn",
        to: r.version,
        message: `${r.version} was signed by ${w.observed.length} identities: ${w.observed.map((o) => describeIdentity(o.identity)).join("; ")}`,
      });
    }
    const missing = r.status === "unattested" || (r.current && r.status === "partial");
    if (missing && (attested !== undefined || r.status === "partial")) {
      const before = attested?.release.version;
      const by = attested?.observed[0]
        ? ` by ${describeIdentity(attested.observed[0].identity)}`
        : "";
      const where =
        before !== undefined
          ? `${before}, published before it, was attested${by}`
          : "other files of the release are attested";
      const allowed = rules.allowDowngrade ? " (allowed by the policy: allow_downgrade)" : "";
      const finding: ContinuityFinding = r.current
        ? {
            kind: "downgrade",
            severity: rules.allowDowngrade ? "warn" : "fail",
            ...(rules.allowDowngrade ? {} : { code: "ATTESTATION_DOWNGRADE" as const }),
            ...(before !== undefined ? { from: before } : {}),
            to: r.version,
            message: `attestation downgrade: ${r.version} has files without provenance, but ${where}: possibly uploaded outside the trusted publisher (e.g. with a stolen token)${allowed}`,
          }
        : {
            kind: "downgrade",
            severity: "warn",
            ...(before !== undefined ? { from: before } : {}),
            to: r.version,
            message: `history: ${r.version} was published without provenance after attested releases (${where})`,
          };
      findings.push(finding);
      if (r.current) downgrade = finding;
    }
    if (w.observed.length > 0) {
      if (prev) {
        for (const b of w.observed) {
          if (prev.observed.some((a) => sameIdentity(a.identity, b.identity))) continue;
          const a = closest(prev.observed, b);
          for (const change of classifyChange(a.identity, b.identity)) {
            findings.push(changeFinding(change, a, b, prev.release.version, r.version, rules));
          }
        }
      }
      prev = w;
      attested = w;
    }
  }
  return { findings, downgrade };
}

function changeFinding(
  change: ReturnType<typeof classifyChange>[number],
  a: ObservedIdentity,
  b: ObservedIdentity,
  from: string,
  to: string,
  rules: HistoryRules,
): ContinuityFinding {
  const message = describeChange(change, a.identity, b.identity, from, to);
  const base = { kind: change.kind, from, to, fields: change.fields };
  if (change.kind === "renamed" || change.kind === "transferred") {
    return { ...base, severity: "warn", message };
  }
  if (change.fields.every((f) => rules.allowChanges.includes(f))) {
    return {
      ...base,
      severity: "warn",
      message: `${message} (allowed by the policy: allow_changes ${change.fields.join(", ")})`,
    };
  }
  const pin = rules.pinnedBy?.(b);
  if (pin !== undefined) {
    return { ...base, severity: "warn", message: `${message} (accepted: the policy pins ${pin})` };
  }
  return { ...base, severity: "fail", code: FAIL_CODE[change.kind], message };
}
