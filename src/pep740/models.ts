/**
 * PEP 740 data models, parsed with zod (never cast).
 *
 * Shapes follow verification-rules.md §1: an Attestation carries a leaf
 * certificate, one or more Sigstore transparency-log entries (protobuf-JSON),
 * optional RFC 3161 timestamps, and a DSSE-like envelope holding the raw
 * in-toto statement bytes. A Provenance object groups attestations by the
 * (unsigned) publisher that the index says uploaded them.
 */
import * as z from "zod/mini";
import { protoMessage } from "../util/proto-json.js";
import { ENGLISH } from "../util/zod.js"; // English issue messages

/** Strict standard base64 (RFC 4648 §4), padding optional, decoded to bytes. */
export const base64Bytes = z.pipe(
  z.string(),
  z.transform((s: string, ctx) => {
    const bytes = decodeBase64Strict(s);
    if (bytes === undefined) {
      ctx.issues.push({ code: "custom", message: "not valid base64", input: s });
      return z.NEVER;
    }
    return bytes;
  }),
);

/** Whether a char code is in the standard base64 alphabet (RFC 4648 Table 1). */
function isBase64Char(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2b || // +
    c === 0x2f // /
  );
}

/**
 * Exactly the strings /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/
 * matches, checked in one pass (the regular expression cost ~0.1 ms per
 * attestation): alphabet characters, then "==" after a final group of two or
 * "=" after a final group of three, and never a lone character in the last group.
 */
export function isStrictBase64(s: string): boolean {
  let n = s.length;
  if (n >= 2 && s.charCodeAt(n - 1) === 0x3d && s.charCodeAt(n - 2) === 0x3d) {
    if (n % 4 !== 0) return false; // "xx==" completes a group of four
    n -= 2;
  } else if (n >= 1 && s.charCodeAt(n - 1) === 0x3d) {
    if (n % 4 !== 0) return false; // "xxx=" completes a group of four
    n -= 1;
  }
  if (n % 4 === 1) return false;
  for (let i = 0; i < n; i++) if (!isBase64Char(s.charCodeAt(i))) return false;
  return true;
}

export function decodeBase64Strict(s: string): Buffer | undefined {
  if (!isStrictBase64(s)) return undefined;
  return Buffer.from(s, "base64");
}

/** A non-negative decimal integer sent as a JSON string (protobuf int64), kept as bigint. */
const uint64String = z
  .pipe(
    z.string().check(z.regex(/^(0|[1-9][0-9]{0,19})$/, "must be a non-negative decimal integer")),
    z.transform((s: string) => BigInt(s)),
  )
  .check(z.refine((n) => n <= 0xffffffffffffffffn, "out of range"));

/** protobuf-JSON int64 may also arrive as a JSON number. */
const uint64 = z.union([
  uint64String,
  z.pipe(
    z.number().check(
      z.int(),
      z.nonnegative(),
      z.refine((n) => Number.isSafeInteger(n), "out of range"),
    ),
    z.transform((n: number) => BigInt(n)),
  ),
]);

export const KindVersionSchema = protoMessage({
  kind: z.string().check(z.minLength(1)),
  version: z.string().check(z.minLength(1)),
});

export const InclusionProofSchema = protoMessage({
  logIndex: uint64,
  rootHash: base64Bytes,
  treeSize: uint64,
  hashes: z.array(base64Bytes).check(z.maxLength(64)),
  checkpoint: protoMessage({ envelope: z.string().check(z.minLength(1)) }),
});

/**
 * A Sigstore TransparencyLogEntry in protobuf-JSON form: a null field reads
 * as absent (src/util/proto-json.ts). The attestation around it is not
 * protobuf-JSON and keeps z.strictObject.
 */
export const TransparencyLogEntrySchema = protoMessage({
  logIndex: uint64,
  logId: protoMessage({ keyId: base64Bytes }),
  kindVersion: KindVersionSchema,
  integratedTime: z.optional(uint64),
  inclusionPromise: z.optional(protoMessage({ signedEntryTimestamp: base64Bytes })),
  inclusionProof: z.optional(InclusionProofSchema),
  canonicalizedBody: base64Bytes,
});
export type TransparencyLogEntry = z.infer<typeof TransparencyLogEntrySchema>;

export const AttestationSchema = z.strictObject({
  version: z.literal(1),
  verification_material: z.strictObject({
    certificate: base64Bytes,
    transparency_entries: z
      .array(TransparencyLogEntrySchema)
      .check(z.minLength(1), z.maxLength(32)),
    timestamps: z.optional(z.array(base64Bytes).check(z.maxLength(32))),
  }),
  envelope: z.strictObject({
    statement: base64Bytes,
    signature: base64Bytes,
  }),
});
export type Attestation = z.infer<typeof AttestationSchema>;

const environment = z.pipe(
  z.nullish(z.string()),
  z.transform((e: string | null | undefined) =>
    e === "" || e === null || e === undefined ? undefined : e,
  ),
);

export const GitHubPublisherSchema = z.looseObject({
  kind: z.literal("GitHub"),
  repository: z.string().check(z.minLength(1)),
  workflow: z.string().check(z.minLength(1)),
  environment,
  claims: z.optional(z.unknown()),
});
export const GitLabPublisherSchema = z.looseObject({
  kind: z.literal("GitLab"),
  repository: z.string().check(z.minLength(1)),
  workflow_filepath: z.string().check(z.minLength(1)),
  environment,
  claims: z.optional(z.unknown()),
});
export const GooglePublisherSchema = z.looseObject({
  kind: z.literal("Google"),
  email: z.string().check(z.minLength(1)),
  claims: z.optional(z.unknown()),
});
/**
 * Any publisher object: kind is open-ended in the spec. Known kinds are parsed
 * with their own schema; an unknown kind is kept as-is so verification can
 * fail closed and name it.
 */
export const UnknownPublisherSchema = z.looseObject({ kind: z.string() });

export type GitHubPublisher = z.infer<typeof GitHubPublisherSchema>;
export type GitLabPublisher = z.infer<typeof GitLabPublisherSchema>;
export type GooglePublisher = z.infer<typeof GooglePublisherSchema>;
export type KnownPublisher = GitHubPublisher | GitLabPublisher | GooglePublisher;
export type Publisher = KnownPublisher | { kind: string; unknown: true };

export const PublisherSchema = z.pipe(
  UnknownPublisherSchema,
  z.transform((p: z.output<typeof UnknownPublisherSchema>, ctx): Publisher => {
    const schema =
      p.kind === "GitHub"
        ? GitHubPublisherSchema
        : p.kind === "GitLab"
          ? GitLabPublisherSchema
          : p.kind === "Google"
            ? GooglePublisherSchema
            : undefined;
    if (!schema) return { kind: p.kind, unknown: true };
    const parsed = schema.safeParse(p, ENGLISH);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.issues.push({ ...issue, code: "custom", input: p });
      return z.NEVER;
    }
    return parsed.data;
  }),
);

export const AttestationBundleSchema = z.strictObject({
  publisher: PublisherSchema,
  attestations: z.array(AttestationSchema).check(z.minLength(1), z.maxLength(64)),
});

export const ProvenanceSchema = z.strictObject({
  version: z.literal(1),
  attestation_bundles: z.array(AttestationBundleSchema).check(z.minLength(1), z.maxLength(64)),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;
export type AttestationBundle = z.infer<typeof AttestationBundleSchema>;

/** The predicate types PyPI accepts (verification-rules.md C6). */
export const PREDICATE_PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1";
export const PREDICATE_SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const KNOWN_PREDICATE_TYPES: readonly string[] = [
  PREDICATE_PUBLISH_V1,
  PREDICATE_SLSA_PROVENANCE_V1,
];
export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const INTOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";

const DIGEST_ALGORITHMS = ["sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"];

/** in-toto Statement v1 as PyPI requires it (C6). */
export const StatementSchema = z.looseObject({
  _type: z.string(),
  subject: z.array(
    z.looseObject({
      name: z.string(),
      digest: z.record(z.string(), z.string()),
    }),
  ),
  predicateType: z.string(),
  predicate: z.optional(z.union([z.record(z.string(), z.unknown()), z.null()])),
});
export type Statement = z.infer<typeof StatementSchema>;
export const ALLOWED_DIGEST_ALGORITHMS: readonly string[] = DIGEST_ALGORITHMS;
