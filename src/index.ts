/**
 * pyprov as a library. The CLI is a thin layer over these functions.
 */
export { verifyDistributions, exitCodeFor } from "./pipeline.js";
export type { TargetInput, VerifyOptions, VerifyRun } from "./pipeline.js";
export { verifyTarget } from "./verify/target.js";
export type { VerifyContext } from "./verify/target.js";
export { verifyAttestation } from "./verify/attestation.js";
export type * from "./verify/types.js";
export type * from "./history/types.js";
export type { ContinuityOptions } from "./history/continuity.js";
export { AttestationCryptoVerifier } from "./sigstore/verifier.js";
export {
  loadTrustedRoot,
  parseTrustedRoot,
  DEFAULT_TRUSTED_ROOT_PATH,
} from "./sigstore/trust-root.js";
export type { LoadedTrustRoot } from "./sigstore/trust-root.js";
export {
  parseProvenance,
  parseAttestation,
  parseProvenanceOrAttestation,
  loadProvenanceFile,
  loadAttestationFile,
} from "./pep740/load.js";
export type { LoadedProvenance, AttestationGroup } from "./pep740/load.js";
export * from "./pep740/models.js";
export { attestationToBundle, attestationToBundleJSON } from "./pep740/bundle.js";
export { decodeCertificate } from "./identity/certificate.js";
export type { DecodedCertificate, FulcioClaims } from "./identity/certificate.js";
export { checkPublisher } from "./identity/publisher.js";
export { checkExpectations } from "./identity/expectations.js";
export type { Expectations, ExpectationResult } from "./identity/expectations.js";
export { parseDistributionFilename, compareSubjectToFilename } from "./pypi/filename.js";
export { canonicalizeName } from "./pypi/names.js";
export { PyprovError, CheckFailure, ERROR_CODES, FAILURE_CODES } from "./errors.js";
export type { ErrorCode, FailureCode } from "./errors.js";
export { applyPolicy } from "./policy/apply.js";
export { loadPolicyFile, parsePolicy } from "./policy/load.js";
export type { LoadedPolicy } from "./policy/load.js";
export { policyJsonSchema } from "./policy/schema.js";
export type { PolicyDocument, PolicyPublisher } from "./policy/schema.js";
export { classifySlsa, releaseLevels } from "./slsa/level.js";
export type { ReleaseLevel, TrustedBuilderEntry } from "./slsa/level.js";
export type { SlsaEvidence, SlsaLevel, SlsaResult } from "./slsa/types.js";
export { renderSarif, sarifLog } from "./report/sarif.js";
export { renderVsa, vsaStatement } from "./report/vsa.js";
export type { VsaStatement } from "./report/vsa.js";
export { renderCycloneDx, cyclonedxBom } from "./report/cyclonedx.js";
export { renderTable } from "./report/table.js";
export { verifyReportJsonSchema } from "./report/schema.js";
