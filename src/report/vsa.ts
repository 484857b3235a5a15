/**
 * SLSA Verification Summary Attestations (slsa-levels.md §5): one in-toto
 * Statement v1 per verified file, predicate type
 * https://slsa.dev/verification_summary/v1, as JSON Lines. Unsigned: the
 * statements are meant to be signed (DSSE) by whoever vouches for this run.
 *
 *   subject             [{name: filename, digest: {sha256}}]
 *   verifier            {id: PYPROV_URI, version: {pyprov, @sigstore/verify}}
 *   timeVerified        when the run ended (RFC 3339, UTC)
 *   resourceUri         the index's download URL; else pkg:pypi/NAME@VERSION?file_name=FILE;
 *                       else a file: URI of the local path
 *   policy              {uri: file:POLICY, digest: {sha256}}; without a policy file
 *                       {uri: "pyprov:builtin-default"} (no digest)
 *   inputAttestations   each provenance/attestation source with the sha256 of its bytes
 *   verificationResult  PASSED when the file counts as a pass for the exit code
 *   verifiedLevels      [the file's SLSA Build level] (FAILED when verification failed)
 *
 * A result without a digest (a target that never resolved to a file) has no
 * subject and gets no statement.
 */
import type { VerifyRun } from "../pipeline.js";
import type { TargetReport } from "../verify/types.js";
import { PYPROV_URI, outcomeOf, purlOf, uriOf, verifierVersions } from "./outcome.js";

export const VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1";
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
/** The policy URI written when no policy file was given: pyprov's built-in rules. */
export const BUILTIN_POLICY_URI = "pyprov:builtin-default";

export interface VsaOptions {
  /** --allow-missing was given: missing provenance passes. */
  allowMissing?: boolean;
  /** timeVerified (default: now). */
  now?: Date;
}

type Digest = { sha256: string };

export interface VsaStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: { name: string; digest: Digest }[];
  predicateType: typeof VSA_PREDICATE_TYPE;
  predicate: {
    verifier: { id: string; version: Record<string, string> };
    timeVerified: string;
    resourceUri: string;
    policy: { uri: string; digest?: Digest };
    inputAttestations?: { uri: string; digest: Digest }[];
    verificationResult: "PASSED" | "FAILED";
    verifiedLevels: string[];
    slsaVersion: "1.1";
  };
}

/** RFC 3339 UTC without fractional seconds. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The resource a consumer would fetch: its URL, else its purl, else its local path. */
export function resourceUriOf(r: TargetReport): string {
  if (r.target.url !== undefined) return r.target.url;
  const purl = purlOf(r);
  if (purl !== undefined) return purl;
  return uriOf(r.target.path ?? r.target.filename);
}

export function vsaStatement(r: TargetReport, opts: VsaOptions = {}): VsaStatement | undefined {
  if (!/^[0-9a-f]{64}$/.test(r.target.sha256)) return undefined;
  const inputs = (r.provenance?.digests ?? []).map((d) => ({
    uri: uriOf(d.source),
    digest: { sha256: d.sha256 },
  }));
  const outcome = outcomeOf(r, opts.allowMissing === true);
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: r.target.filename, digest: { sha256: r.target.sha256 } }],
    predicateType: VSA_PREDICATE_TYPE,
    predicate: {
      verifier: { id: PYPROV_URI, version: verifierVersions() },
      timeVerified: rfc3339(opts.now ?? new Date()),
      resourceUri: resourceUriOf(r),
      policy: r.policy
        ? { uri: uriOf(r.policy.source), digest: { sha256: r.policy.sha256 } }
        : { uri: BUILTIN_POLICY_URI },
      ...(inputs.length > 0 ? { inputAttestations: inputs } : {}),
      verificationResult: outcome === "pass" || outcome === "warn" ? "PASSED" : "FAILED",
      verifiedLevels: [r.slsa?.level ?? "SLSA_BUILD_LEVEL_UNEVALUATED"],
      slsaVersion: "1.1",
    },
  };
}

/** One statement per line (JSON Lines); empty when no file had a digest. */
export function renderVsa(run: Pick<VerifyRun, "results">, opts: VsaOptions = {}): string {
  const now = opts.now ?? new Date();
  return run.results
    .map((r) => vsaStatement(r, { ...opts, now }))
    .filter((s): s is VsaStatement => s !== undefined)
    .map((s) => JSON.stringify(s) + "\n")
    .join("");
}
