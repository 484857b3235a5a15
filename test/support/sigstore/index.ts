/**
 * A synthetic, cryptographically genuine Sigstore for tests. Start with
 * `TestSigstore.shared()` (or `createSync()` for private logs and keys), mint
 * attestations with `attest({...})`, and trust it with `trustedRoot()`.
 */
export { PUBLISH_V1, STATEMENT_V1, TestSigstore, provenance, statementFor } from "./sigstore.js";
export type {
  AttestOptions,
  AttestResult,
  Faults,
  Pep740Attestation,
  ProvenanceJSON,
  RekorFlavor,
  TestSigstoreOptions,
} from "./sigstore.js";
export {
  FULCIO_OID_PREFIX,
  GITHUB_ISSUER,
  GITLAB_ISSUER,
  GOOGLE_ISSUER,
  customIdentity,
  encodeIdentityExtension,
  fulcioOid,
  githubIdentity,
  githubReusableIdentity,
  githubSelfHostedIdentity,
  gitlabIdentity,
  googleIdentity,
  withExtensions,
} from "./identity.js";
export type {
  ExtensionValue,
  GitHubIdentityOptions,
  GitLabIdentityOptions,
  GoogleIdentityOptions,
  Identity,
} from "./identity.js";
export { DEFAULT_VALID_FROM, TRUSTED_ROOT_MEDIA_TYPE, trustedRootFor } from "./trusted-root.js";
export type { TrustEntry, TrustedRootJSON, TrustedRootOptions } from "./trusted-root.js";
export { BUNDLE_V03_MEDIA_TYPE, attestationToBundleJSON, verifyWithSigstore } from "./bundle.js";
export { INTOTO_PAYLOAD_TYPE, buildBody, canonicalBody, canonicalJson, pae } from "./bodies.js";
export type { BodyInput, KindVersion } from "./bodies.js";
export { RekorV1Log, RekorV2Log, noteKeyId } from "./rekor.js";
export type { ProofTamper, TransparencyLogEntryJSON } from "./rekor.js";
export { CertificateAuthority, CA_NOT_AFTER, CA_NOT_BEFORE } from "./ca.js";
export type { LeafOptions } from "./ca.js";
export { CTLog } from "./ctlog.js";
export { TimestampAuthority } from "./tsa.js";
export { MerkleTree, leafHash, nodeHash } from "./merkle.js";
export { generateKey, sha256, signWith, toPem } from "./keys.js";
export type { Curve, KeyPair } from "./keys.js";
export type { SanSpec } from "./x509.js";
