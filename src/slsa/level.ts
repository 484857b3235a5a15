/**
 * SLSA Build level of one file, from its verification report alone
 * (slsa-levels.md §3). Pure: no I/O, no clock.
 *
 *   UNEVALUATED  no verdict (e.g. the index withholds provenance: HTTP 403)
 *   L0           no provenance
 *   FAILED       any verification failure (never degrades to L0), or a SLSA
 *                predicate field that contradicts the certificate
 *   L1           verified, but a hosted build platform cannot be shown:
 *                self-hosted or unknown runner, Google service account,
 *                an issuer that is not GitHub Actions or GitLab
 *   L2           verified, issued by GitHub Actions or GitLab (.8), on a
 *                hosted runner (.11), .18 a workflow of .12: the OIDC claims
 *                come from the platform, so the provenance is authentic
 *   L3           only a verified SLSA Provenance v1 attestation signed by an
 *                allow-listed isolated builder: .9 is a trusted builder at a
 *                semver tag and differs from .18, .11 github-hosted,
 *                builder.id = .9, a recognised buildType, externalParameters
 *                exactly {workflow: {repository: .12, ref: .14, path: path of .18}}
 *
 * A file's level is the highest its verified attestations earn (all must
 * verify for any level above FAILED); a release's is the minimum over its
 * files.
 */
import { GITHUB_ISSUER, GITLAB_ISSUER, GOOGLE_ISSUER, quote } from "../identity/publisher.js";
import type { FulcioClaims } from "../identity/certificate.js";
import { PREDICATE_SLSA_PROVENANCE_V1 } from "../pep740/models.js";
import { parseDistributionFilename } from "../pypi/filename.js";
import { globMatch } from "../policy/glob.js";
import { workflowPathOf } from "../identity/expectations.js";
import type { AttestationReport, TargetReport } from "../verify/types.js";
import {
  GITHUB_WORKFLOW_BUILD_TYPES,
  parseSlsaPredicate,
  type SlsaPredicate,
} from "./predicate.js";
import {
  buildLevel,
  minLevel,
  type SlsaEvidence,
  type SlsaLevel,
  type SlsaResult,
} from "./types.js";

/** An isolated builder allowed to earn L3 (the policy's `trusted_builders`). */
export interface TrustedBuilderEntry {
  /** Builder workflow URI without "@ref"; may be a glob. */
  id: string;
}

export interface SlsaOptions {
  trustedBuilders?: readonly TrustedBuilderEntry[];
}

/** A SLSA predicate field that contradicts the certificate: a verification failure. */
export interface Contradiction {
  /** The attestation's source. */
  source: string;
  message: string;
}

export interface SlsaClassification {
  result: SlsaResult;
  contradictions: Contradiction[];
}

/** vX.Y.Z release tags only (no pre-releases), as slsa-verifier requires of builders. */
const SEMVER_TAG_RE = /^refs\/tags\/v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export const HIGHEST = "L3 is the highest SLSA Build level";

const PUBLISH_ONLY =
  "publish provenance only: a publish attestation is signed by the tenant's own publishing job " +
  "and says nothing about how the file was built, so it is never L3 (L3 needs SLSA provenance " +
  "from an allow-listed isolated builder)";

export function classifySlsa(report: TargetReport, opts: SlsaOptions = {}): SlsaClassification {
  const predicateTypes = unique(
    report.attestations.map((a) => a.predicateType).filter((t): t is string => t !== undefined),
  );
  const only = (level: SlsaLevel, whyNotHigher: string): SlsaClassification => ({
    result: { level, evidence: { predicateTypes }, whyNotHigher },
    contradictions: [],
  });
  switch (report.verdict) {
    case "error":
      return only(
        "SLSA_BUILD_LEVEL_UNEVALUATED",
        report.error?.code === "PROVENANCE_WITHHELD"
          ? "the index withholds this file's provenance (HTTP 403): the level cannot be evaluated"
          : `no verdict, so the level cannot be evaluated: ${report.error?.message ?? "error"}`,
      );
    case "missing":
      return only(
        "SLSA_BUILD_LEVEL_0",
        `no provenance: ${report.failure?.message ?? "none found"}`,
      );
    case "failed":
      return only("FAILED", `verification failed: ${report.failure?.message ?? "a check failed"}`);
    case "verified":
      break;
  }
  const assessed = report.attestations.map((a) => assessAttestation(a, opts.trustedBuilders ?? []));
  const contradictions = assessed.flatMap((x, i) =>
    x.contradictions.map((message) => ({ source: report.attestations[i]!.source, message })),
  );
  // A verified file always has attestations; fail closed anyway.
  if (assessed.length === 0) return only("FAILED", "no verified attestation");
  if (contradictions.length > 0) {
    const first = assessed.find((x) => x.contradictions.length > 0)!;
    return {
      result: {
        level: "FAILED",
        evidence: { ...first.evidence, predicateTypes },
        whyNotHigher: `the SLSA provenance contradicts its certificate: ${contradictions[0]!.message}`,
      },
      contradictions,
    };
  }
  // The best attestation decides; at equal levels SLSA provenance explains more.
  let best = assessed[0]!;
  for (const x of assessed.slice(1)) {
    if (x.level > best.level || (x.level === best.level && x.slsa && !best.slsa)) best = x;
  }
  return {
    result: {
      level: buildLevel(best.level),
      evidence: { ...best.evidence, predicateTypes },
      whyNotHigher: best.why,
    },
    contradictions: [],
  };
}

interface Assessment {
  level: 1 | 2 | 3;
  why: string;
  slsa: boolean;
  evidence: SlsaEvidence;
  contradictions: string[];
}

function assessAttestation(
  a: AttestationReport,
  trusted: readonly TrustedBuilderEntry[],
): Assessment {
  const c: FulcioClaims = a.certificate?.claims ?? {};
  const slsa = a.predicateType === PREDICATE_SLSA_PROVENANCE_V1;
  const time = a.verifiedTimes[0];
  const evidence: SlsaEvidence = {
    attestation: a.source,
    predicateTypes: [],
    ...defined({
      issuer: c.issuer,
      runnerEnvironment: c.runnerEnvironment,
      buildSignerUri: c.buildSignerUri,
      buildConfigUri: c.buildConfigUri,
      timeSource: time?.source,
      verifiedTime: time?.time,
    }),
  };
  const out = (level: 1 | 2 | 3, why: string, contradictions: string[] = []): Assessment => ({
    level,
    why,
    slsa,
    evidence,
    contradictions,
  });

  const platform =
    c.issuerV2 === GITHUB_ISSUER ? "github" : c.issuerV2 === GITLAB_ISSUER ? "gitlab" : undefined;

  // A SLSA predicate whose fields contradict the certificate fails, whatever the level.
  const parsed = slsa ? parseSlsaPredicate(a.predicate) : undefined;
  const known =
    parsed?.ok === true &&
    GITHUB_WORKFLOW_BUILD_TYPES.includes(parsed.predicate.buildDefinition.buildType);
  if (parsed?.ok) {
    evidence.builderId = parsed.predicate.runDetails.builder.id;
    evidence.buildType = parsed.predicate.buildDefinition.buildType;
    if (known) {
      const path = platform ? workflowPathOf(c, platform) : undefined;
      const contradictions = contradictionsOf(parsed.predicate, c, path);
      if (contradictions.length > 0) return out(1, "", contradictions);
    }
  }

  // Hosting (L2): the platform's issuer, a hosted runner, .18 a workflow of .12.
  if (platform === undefined) {
    if (c.issuer === GOOGLE_ISSUER) {
      return out(
        1,
        "Google service-account publisher: a service-account key can sign from anywhere, so a hosted build platform cannot be shown (L2 needs GitHub Actions or GitLab on a hosted runner)",
      );
    }
    if (c.issuer === GITHUB_ISSUER || c.issuer === GITLAB_ISSUER) {
      return out(
        1,
        `the certificate has no Issuer V2 claim (.8), only the deprecated .1 ${quote(c.issuer)}: it predates the claims that show a hosted runner`,
      );
    }
    return out(
      1,
      `issuer ${c.issuer === undefined ? "(none)" : quote(c.issuer)} is not a hosted CI platform (L2 needs GitHub Actions or GitLab on a hosted runner)`,
    );
  }
  const hosted = platform === "github" ? "github-hosted" : "gitlab-hosted";
  if (c.runnerEnvironment !== hosted) {
    return out(
      1,
      c.runnerEnvironment === undefined
        ? `the certificate has no Runner Environment claim (.11), so a hosted runner cannot be shown (L2 needs ${quote(hosted)})`
        : `Runner Environment (.11) is ${quote(c.runnerEnvironment)}: a hosted build platform cannot be shown (L2 needs ${quote(hosted)})`,
    );
  }
  const workflowPath = workflowPathOf(c, platform);
  if (workflowPath === undefined) {
    return out(
      1,
      `the Build Config URI (.18) ${c.buildConfigUri === undefined ? "(none)" : quote(c.buildConfigUri)} is not a workflow of the Source Repository URI (.12) at its ref or digest`,
    );
  }
  if (!slsa) return out(2, PUBLISH_ONLY);

  // SLSA provenance: its fields must agree with the certificate, then the L3 conditions.
  if (!parsed?.ok) return out(2, `not L3: ${parsed?.reason ?? "no SLSA predicate"}`);
  const p = parsed.predicate;
  if (platform !== "github") {
    return out(2, "not L3: pyprov recognises L3 only for GitHub Actions reusable builders");
  }
  const signer = c.buildSignerUri;
  if (signer === undefined) {
    return out(2, "not L3: the certificate has no Build Signer URI (.9) naming a builder");
  }
  if (signer === c.buildConfigUri) {
    return out(
      2,
      `not L3: the SLSA provenance was signed by the tenant's own workflow: Build Signer URI (.9) equals Build Config URI (.18) ${quote(signer)}, so the job that built the file also held the signing identity (L3 needs an isolated builder, distinct from .18, in trusted_builders)`,
    );
  }
  const at = signer.lastIndexOf("@");
  const builderUri = at > 0 ? signer.slice(0, at) : signer;
  const builderRef = at > 0 ? signer.slice(at + 1) : "";
  const entry = trusted.find((t) => globMatch(t.id, builderUri));
  if (!entry) {
    return out(
      2,
      trusted.length === 0
        ? `not L3: the builder ${quote(builderUri)} (.9) is not trusted: the policy lists no trusted_builders`
        : `not L3: the builder ${quote(builderUri)} (.9) is not in trusted_builders`,
    );
  }
  evidence.trustedBuilder = entry.id;
  if (!SEMVER_TAG_RE.test(builderRef)) {
    return out(
      2,
      `not L3: the trusted builder ${quote(builderUri)} ran at ${builderRef === "" ? "no ref" : quote(builderRef)}, not at a semver release tag (refs/tags/vX.Y.Z)`,
    );
  }
  if (p.runDetails.builder.id !== signer) {
    return out(
      2,
      `not L3: builder.id ${quote(p.runDetails.builder.id)} is not the allow-listed builder that signed (${quote(signer)})`,
    );
  }
  if (!known) {
    return out(
      2,
      `not L3: buildType ${quote(p.buildDefinition.buildType)} is not one pyprov recognises (${GITHUB_WORKFLOW_BUILD_TYPES.join(", ")})`,
    );
  }
  const external = externalParametersProblem(p, c, workflowPath);
  if (external) return out(2, `not L3: externalParameters ${external}`);
  return out(3, HIGHEST);
}

/** externalParameters must be exactly {workflow: {repository, ref, path}} (+ inputs, vars). */
function externalParametersProblem(
  p: SlsaPredicate,
  c: FulcioClaims,
  workflowPath: string,
): string | undefined {
  const ext = p.buildDefinition.externalParameters;
  const unknown = Object.keys(ext).filter((k) => !["workflow", "inputs", "vars"].includes(k));
  if (unknown.length) return `has unrecognised parameters: ${unknown.map(quote).join(", ")}`;
  const wf = ext.workflow;
  if (typeof wf !== "object" || wf === null || Array.isArray(wf)) {
    return "has no workflow object";
  }
  const w = wf as Record<string, unknown>;
  const extra = Object.keys(w).filter((k) => !["repository", "ref", "path"].includes(k));
  if (extra.length) return `workflow has unrecognised fields: ${extra.map(quote).join(", ")}`;
  const expect: [string, string | undefined][] = [
    ["repository", c.sourceRepositoryUri],
    ["ref", c.sourceRepositoryRef],
    ["path", workflowPath],
  ];
  for (const [key, want] of expect) {
    if (w[key] !== want || want === undefined) {
      return `workflow.${key} ${typeof w[key] === "string" ? quote(w[key]) : "is missing or not a string"}; expected ${want === undefined ? "(no certificate claim)" : quote(want)}`;
    }
  }
  return undefined;
}

/** Present predicate fields that disagree with the certificate (slsa-levels.md §4). */
function contradictionsOf(
  p: SlsaPredicate,
  c: FulcioClaims,
  workflowPath: string | undefined,
): string[] {
  const out: string[] = [];
  const differs = (field: string, value: unknown, claim: string | undefined, oid: string) => {
    if (value === undefined || claim === undefined) return;
    if (value !== claim) {
      out.push(
        `${field} is ${typeof value === "string" ? quote(value) : JSON.stringify(value)}, but the certificate's ${oid} is ${quote(claim)}`,
      );
    }
  };
  const wf = p.buildDefinition.externalParameters.workflow;
  if (typeof wf === "object" && wf !== null && !Array.isArray(wf)) {
    const w = wf as Record<string, unknown>;
    differs("externalParameters.workflow.repository", w.repository, c.sourceRepositoryUri, ".12");
    differs("externalParameters.workflow.ref", w.ref, c.sourceRepositoryRef, ".14");
    differs("externalParameters.workflow.path", w.path, workflowPath, ".18 path");
  }
  const internal = p.buildDefinition.internalParameters;
  const github =
    typeof internal === "object" && internal !== null && "github" in internal
      ? (internal as { github?: unknown }).github
      : undefined;
  if (typeof github === "object" && github !== null && !Array.isArray(github)) {
    const g = github as Record<string, unknown>;
    differs("internalParameters.github.event_name", g.event_name, c.buildTrigger, ".20");
    differs(
      "internalParameters.github.repository_id",
      g.repository_id,
      c.sourceRepositoryIdentifier,
      ".15",
    );
    differs(
      "internalParameters.github.repository_owner_id",
      g.repository_owner_id,
      c.sourceRepositoryOwnerIdentifier,
      ".17",
    );
    differs(
      "internalParameters.github.runner_environment",
      g.runner_environment,
      c.runnerEnvironment,
      ".11",
    );
  }
  const source = c.sourceRepositoryUri;
  for (const dep of p.buildDefinition.resolvedDependencies ?? []) {
    if (source === undefined || dep.uri === undefined) continue;
    if (!dep.uri.startsWith(`git+${source}@`)) continue;
    differs(
      `resolvedDependencies ${quote(dep.uri)} gitCommit`,
      dep.digest?.gitCommit,
      c.sourceRepositoryDigest,
      ".13",
    );
  }
  differs(
    "runDetails.metadata.invocationId",
    p.runDetails.metadata?.invocationId,
    c.runInvocationUri,
    ".21",
  );
  return out;
}

export interface ReleaseLevel {
  project: string;
  version: string;
  level: SlsaLevel;
  files: number;
  /** Files without provenance (L0). */
  withoutProvenance: number;
  /** Some files have provenance and some do not. */
  mixed: boolean;
}

/**
 * The level of each release (canonical project name and version) among the
 * results: the minimum over its files. Files whose name cannot be read
 * (unresolved targets) are left out.
 */
export function releaseLevels(
  results: readonly {
    target: { filename: string; project?: string; version?: string };
    slsa?: SlsaResult;
  }[],
): ReleaseLevel[] {
  const out = new Map<string, ReleaseLevel>();
  for (const r of results) {
    if (!r.slsa) continue;
    const parsed = parseFilename(r.target.filename);
    const project = parsed?.name ?? r.target.project;
    const version = parsed?.version ?? r.target.version;
    if (project === undefined || version === undefined) continue;
    const key = `${project}\u0000${version}`;
    const missing = r.slsa.level === "SLSA_BUILD_LEVEL_0" ? 1 : 0;
    const prev = out.get(key);
    if (!prev) {
      out.set(key, {
        project,
        version,
        level: r.slsa.level,
        files: 1,
        withoutProvenance: missing,
        mixed: false,
      });
    } else {
      prev.level = minLevel(prev.level, r.slsa.level);
      prev.files++;
      prev.withoutProvenance += missing;
      prev.mixed = prev.withoutProvenance > 0 && prev.withoutProvenance < prev.files;
    }
  }
  return [...out.values()];
}

function parseFilename(filename: string): { name: string; version: string } | undefined {
  try {
    const parsed = parseDistributionFilename(filename);
    return { name: parsed.name, version: parsed.version };
  } catch {
    return undefined;
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
