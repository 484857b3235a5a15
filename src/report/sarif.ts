/**
 * SARIF 2.1.0 for code scanning: one run, tool pyprov, a rule for each code
 * the results use (failure and error codes, plus WARNING), and one result per
 * file that did not pass cleanly:
 *
 *   failed, or missing provenance that is not allowed   level "error", rule = failure code
 *   no verdict (exit 2)                                  level "error", rule = error code
 *   missing provenance that is allowed                   level "warning", rule NO_ATTESTATIONS
 *   verified with warnings                               level "warning", rule WARNING
 *
 * A file that came from a requirements file or lockfile is located at its
 * line there; any other at its local path, else its URL, else its name.
 * Paths inside the working directory (the repository root in CI) are written
 * relative to it, as code scanning expects.
 */
import { ERROR_CODES, FAILURE_CODES, type ErrorCode, type FailureCode } from "../errors.js";
import type { VerifyRun } from "../pipeline.js";
import { pyprovVersion } from "../paths.js";
import { oneLine } from "../util/text.js";
import type { TargetReport } from "../verify/types.js";
import { PYPROV_URI, outcomeOf, packageOf, reasonOf, relativeUri } from "./outcome.js";

export const SARIF_SCHEMA_URI =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json";

/** The rule for a verified file with warnings. */
export const WARNING_RULE = "WARNING";

type RuleId = FailureCode | ErrorCode | typeof WARNING_RULE;

/**
 * Short descriptions of the codes (README, "Failure reasons"). A code added
 * elsewhere without one here still gets a rule (described by its name); a
 * test asks for a real description.
 */
export const RULE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  CERTIFICATE_CHAIN:
    "certificate not issued by a trusted Fulcio CA, or not valid at the verified signing time",
  CERTIFICATE_SCT: "no valid signed certificate timestamp from a trusted CT log",
  CERTIFICATE_USAGE: "the leaf lacks digitalSignature / codeSigning, is a CA, or cannot be decoded",
  TIMESTAMP: "no verified signing time (an RFC 3161 timestamp failed or is missing)",
  TLOG_INCLUSION:
    "the signed entry timestamp, inclusion proof or checkpoint does not verify against a trusted log key",
  TLOG_BODY: "the Rekor entry does not record this signature or payload",
  TLOG_CERTIFICATE: "the Rekor entry does not record this certificate",
  TLOG_KIND: "a log-entry kind PEP 740 does not use",
  TLOG_PROOF_INCONSISTENT:
    "the inclusion proof's root hash or tree size differs from its signed checkpoint",
  SIGNATURE: "the signature does not verify over the statement",
  PAYLOAD_TYPE: "the DSSE payload type is not an in-toto statement",
  STATEMENT_INVALID: "not an in-toto v1 statement with exactly one subject",
  PREDICATE_TYPE: "a predicate type other than PyPI publish/v1 or SLSA provenance v1",
  SUBJECT_NAME: "the subject names another distribution (name, version, tags, build, kind)",
  SUBJECT_DIGEST: "the subject digest does not match the file",
  PUBLISHER_KIND: "the index names a publisher kind pyprov cannot check",
  PUBLISHER_MISMATCH: "the index's publisher claim disagrees with the certificate",
  EXPECTATION_MISMATCH: "the certificate does not meet --repository/--workflow/...",
  PREDICATE_MISMATCH: "a SLSA provenance field contradicts its certificate",
  POLICY_PUBLISHER: "the certificate matches none of the policy's publishers for the package",
  REPOSITORY_ID_MISMATCH: "a pinned repository or owner ID differs: possible repojacking",
  POLICY_SLSA_LEVEL: "the SLSA Build level is below the policy's min_slsa_level",
  PUBLISHER_CHANGED: "the publisher differs from the previous releases' publisher",
  REPOSITORY_REREGISTERED:
    "the repository (or owner) name now has another ID: possible repojacking",
  ATTESTATION_DOWNGRADE: "no provenance, although earlier releases or sibling files were attested",
  LOOKALIKE_NAME: "the project name is close to a popular project's",
  NEW_PROJECT: "the project is younger than the policy's minimum project age",
  UNRELATED_REPOSITORY: "the attested repository's name has nothing to do with the package's",
  NO_ATTESTATIONS: "no provenance was found for the file",
  NOT_FROM_INDEX:
    "a direct URL, VCS, path or editable requirement: no index provenance can vouch for it",
  INDEX_AMBIGUOUS:
    "an unpinned requirement pip may take from more than one index (dependency confusion)",
  ENTRY_MISMATCH:
    "the file a lock or requirement entry points at is another project's or version's",
  ARTIFACT_DIGEST: "the downloaded file differs from the digest the lock or requirement pins",
  INSTALLED_MODIFIED:
    "an installed file is changed, missing or extra against the verified wheel's RECORD",
  VERIFICATION: "another failure reported by the Sigstore verifier",
  USAGE: "no verdict: a usage error",
  INPUT_UNREADABLE: "no verdict: an input could not be read",
  INPUT_TOO_LARGE: "no verdict: an input exceeds pyprov's limits",
  INPUT_MALFORMED: "no verdict: an input is malformed",
  TRUST_ROOT_INVALID: "no verdict: the Sigstore trusted root is invalid",
  TRUST_ROOT_MISSING: "no verdict: no Sigstore trusted root",
  NETWORK: "no verdict: the package index could not be reached",
  PROVENANCE_WITHHELD: "no verdict: the index withholds provenance (HTTP 403)",
  OFFLINE: "no verdict: --offline and the answer is not in the cache",
  STATE_UNAVAILABLE: "no verdict: the state store (SQLite file, PostgreSQL) cannot be reached",
  STATE_SCHEMA: "no verdict: the state store's schema is newer than this build, or not migrated",
  INTERNAL: "no verdict: an internal error",
  WARNING: "verified, with a warning (renamed repository, expired exception, unpinned, ...)",
};

export const RULE_IDS: readonly RuleId[] = [...FAILURE_CODES, ...ERROR_CODES, WARNING_RULE];

export interface SarifOptions {
  allowMissing?: boolean;
  /** Paths inside it are written relative to it (default: the process's working directory). */
  cwd?: string;
}

type Level = "error" | "warning";

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: Level;
  message: { text: string };
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string };
      region?: { startLine: number };
    };
  }[];
  properties: Record<string, unknown>;
}

function ruleAndLevel(r: TargetReport, allowMissing: boolean): [string, Level] | undefined {
  switch (outcomeOf(r, allowMissing)) {
    case "pass":
      return undefined;
    case "error":
      return [r.error?.code ?? "INTERNAL", "error"];
    case "fail":
      return [r.failure?.code ?? "VERIFICATION", "error"];
    case "warn":
      return r.verdict === "missing"
        ? [r.failure?.code ?? "NO_ATTESTATIONS", "warning"]
        : [WARNING_RULE, "warning"];
  }
}

function location(r: TargetReport, cwd: string): SarifResult["locations"][number] {
  const origin = r.target.origin;
  if (origin) {
    return {
      physicalLocation: {
        artifactLocation: { uri: relativeUri(origin.file, cwd) },
        region: { startLine: origin.line },
      },
    };
  }
  const where = r.target.path ?? r.target.url ?? r.target.filename;
  return { physicalLocation: { artifactLocation: { uri: relativeUri(where, cwd) } } };
}

function result(
  r: TargetReport,
  ruleId: string,
  ruleIndex: number,
  level: Level,
  cwd: string,
): SarifResult {
  const pkg = packageOf(r);
  const name = oneLine(r.target.filename || r.target.path || "(unknown)");
  const what = pkg ? `${name} (${pkg.name} ${pkg.version})` : name;
  return {
    ruleId,
    ruleIndex,
    level,
    message: { text: `${what}: ${oneLine(reasonOf(r))}` },
    locations: [location(r, cwd)],
    properties: {
      filename: r.target.filename,
      ...(r.target.sha256 ? { sha256: r.target.sha256 } : {}),
      ...(pkg ? { project: pkg.name, version: pkg.version } : {}),
      verdict: r.verdict,
      ...(r.slsa ? { slsaLevel: r.slsa.level } : {}),
      ...(r.warnings.length > 0 ? { warnings: r.warnings } : {}),
    },
  };
}

export function sarifLog(
  run: Pick<VerifyRun, "results" | "exitCode">,
  opts: SarifOptions = {},
): Record<string, unknown> {
  const cwd = opts.cwd ?? process.cwd();
  const found: [TargetReport, string, Level][] = [];
  for (const r of run.results) {
    const rule = ruleAndLevel(r, opts.allowMissing === true);
    if (rule) found.push([r, ...rule]);
  }
  // The rules the results use, in the order of RULE_IDS (an unknown code last).
  const used = new Set(found.map(([, id]) => id));
  const ruleIds: string[] = [
    ...RULE_IDS.filter((id) => used.has(id)),
    ...[...used].filter((id) => !(RULE_IDS as readonly string[]).includes(id)),
  ];
  const results = found.map(([r, id, level]) => result(r, id, ruleIds.indexOf(id), level, cwd));
  const version = pyprovVersion();
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "pyprov",
            version,
            semanticVersion: version,
            informationUri: PYPROV_URI,
            rules: ruleIds.map((id) => ({
              id,
              name: ruleName(id),
              shortDescription: {
                text: RULE_DESCRIPTIONS[id] ?? id.toLowerCase().replace(/_/g, " "),
              },
              helpUri: `${PYPROV_URI}#failure-reasons`,
              defaultConfiguration: { level: id === WARNING_RULE ? "warning" : "error" },
            })),
          },
        },
        invocations: [{ executionSuccessful: run.exitCode !== 2, exitCode: run.exitCode }],
        results,
      },
    ],
  };
}

/** SUBJECT_DIGEST → SubjectDigest (SARIF's rule name is an identifier in PascalCase). */
function ruleName(id: string): string {
  return id
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

export function renderSarif(
  run: Pick<VerifyRun, "results" | "exitCode">,
  opts: SarifOptions = {},
): string {
  return JSON.stringify(sarifLog(run, opts), null, 2) + "\n";
}
