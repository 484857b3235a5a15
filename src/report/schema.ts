/**
 * The JSON report (`--format json`, schema version 1) described with zod, and
 * its JSON Schema (draft 2020-12) generated from that description. The schema
 * is published as docs/schemas/pyprov-verify-v1.schema.json; a test checks
 * that the file is what this module generates and that real reports validate
 * against it with every object closed (so no emitted field goes undocumented).
 *
 * Within schema version 1 fields are only ever added, so the published schema
 * leaves objects open: consumers must ignore fields they do not know.
 */
import * as z from "zod/mini";
import type { FulcioClaims } from "../identity/certificate.js";
import { SLSA_LEVELS } from "../slsa/types.js";
import type { TargetReport } from "../verify/types.js";
import type { VerifyDocument } from "./json.js";
import { described } from "../util/zod.js";

export const REPORT_SCHEMA_ID =
  "https://raw.githubusercontent.com/pyprov/pyprov/main/docs/schemas/pyprov-verify-v1.schema.json";

const str = (description: string) => described(z.string(), description);
const count = (description: string) => described(z.int().check(z.nonnegative()), description);
const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
// Code lists grow within a schema version (a new check, a new failure code), so
// they are patterns here, not enumerations: a report from a newer pyprov still
// validates against this schema. The README lists the current values.
const failureCode = described(
  z.string().check(z.regex(/^[A-Z][A-Z0-9_]*$/)),
  "a failure code (exit 1), e.g. SUBJECT_DIGEST; README: Failure reasons",
);
const errorCode = described(
  z.string().check(z.regex(/^[A-Z][A-Z0-9_]*$/)),
  "an error code (no verdict, exit 2), e.g. NETWORK",
);
const checkId = described(
  z.string().check(z.regex(/^[a-z][a-z0-9-]*$/)),
  "a check id, e.g. sigstore, subject-digest, policy-slsa",
);
const origin = described(
  z.object({
    file: str("the requirements file or lockfile, as given"),
    line: described(z.int().check(z.gte(1)), "1-based line"),
  }),
  "the requirements-file or lockfile line a target came from",
);

const CheckResultSchema = z
  .object({
    id: checkId,
    ok: z.boolean(),
    code: described(z.optional(failureCode), "set when ok is false"),
    message: z.string(),
  })
  .check(z.meta({ id: "CheckResult" }));

const CLAIM_KEYS = [
  "issuer",
  "issuerV1",
  "issuerV2",
  "githubWorkflowTrigger",
  "githubWorkflowSha",
  "githubWorkflowName",
  "githubWorkflowRepository",
  "githubWorkflowRef",
  "buildSignerUri",
  "buildSignerDigest",
  "runnerEnvironment",
  "sourceRepositoryUri",
  "sourceRepositoryDigest",
  "sourceRepositoryRef",
  "sourceRepositoryIdentifier",
  "sourceRepositoryOwnerUri",
  "sourceRepositoryOwnerIdentifier",
  "buildConfigUri",
  "buildConfigDigest",
  "buildTrigger",
  "runInvocationUri",
  "sourceRepositoryVisibilityAtSigning",
  "deploymentEnvironment",
  "tokenSubject",
] as const satisfies readonly (keyof FulcioClaims)[];

const ClaimsSchema = described(
  z.object(
    Object.fromEntries(CLAIM_KEYS.map((k) => [k, z.optional(z.string())])) as Record<
      (typeof CLAIM_KEYS)[number],
      z.ZodMiniOptional<z.ZodMiniString<string>>
    >,
  ),
  "Fulcio certificate claims by name (issuer: .8, else .1)",
);

const AttestationSchema = z
  .object({
    source: str("the file (or URL) and JSON path the attestation came from"),
    predicateType: z.optional(z.string()),
    subject: z.optional(z.object({ name: z.string(), sha256: z.optional(z.string()) })),
    certificate: z.optional(
      z.object({
        identity: z.optional(str("the subject alternative name a person reads (URI or e-mail)")),
        issuer: z.optional(str("the OIDC issuer")),
        serialNumber: z.string(),
        notBefore: z.string(),
        notAfter: z.string(),
        claims: ClaimsSchema,
        extensions: described(
          z.record(z.string(), z.string()),
          "every Fulcio extension decoded, keyed by OID",
        ),
      }),
    ),
    logEntry: z.optional(
      z.object({
        kind: str('the log entry\'s kind and version, e.g. "dsse 0.0.1"'),
        logIndex: str("decimal"),
        logId: str("hex"),
        integratedTime: z.optional(str("only when a signed entry timestamp covers it")),
        checkpointOrigin: z.optional(z.string()),
      }),
    ),
    verifiedTimes: z.array(
      z.object({ source: z.enum(["rekor-set", "rfc3161"]), time: z.string() }),
    ),
    checks: z.array(CheckResultSchema),
    ok: z.boolean(),
    predicate: described(z.optional(z.unknown()), "the signed predicate of SLSA Provenance v1"),
  })
  .check(z.meta({ id: "AttestationReport" }));

const IdentitySchema = described(
  z.object({
    kind: z.enum(["github", "gitlab", "google", "other"]),
    issuer: z.optional(z.string()),
    repository: z.optional(z.string()),
    workflow: z.optional(z.string()),
    ref: z.optional(z.string()),
    environment: z.optional(z.string()),
    runner: z.optional(z.string()),
    repositoryId: z.optional(z.string()),
    ownerId: z.optional(z.string()),
    identity: z.optional(z.string()),
  }),
  "the publisher identity read from the first verified certificate",
);

const SlsaSchema = described(
  z.object({
    level: z.enum(SLSA_LEVELS),
    evidence: z.object({
      attestation: z.optional(z.string()),
      predicateTypes: z.array(z.string()),
      issuer: z.optional(z.string()),
      runnerEnvironment: z.optional(z.string()),
      buildSignerUri: z.optional(z.string()),
      buildConfigUri: z.optional(z.string()),
      builderId: z.optional(z.string()),
      buildType: z.optional(z.string()),
      trustedBuilder: z.optional(z.string()),
      timeSource: z.optional(z.enum(["rekor-set", "rfc3161"])),
      verifiedTime: z.optional(z.string()),
    }),
    whyNotHigher: z.string(),
  }),
  "the file's SLSA Build level and the evidence it rests on",
);

const TargetReportSchema = z
  .object({
    target: z.object({
      filename: z.string(),
      sha256: described(
        z.string().check(z.regex(/^([0-9a-f]{64})?$/)),
        "empty when the target could not be resolved to a file",
      ),
      path: z.optional(str("the local file, when there is one")),
      project: z.optional(z.string()),
      version: z.optional(z.string()),
      url: z.optional(str("the index's download URL")),
      origin: z.optional(origin),
    }),
    provenance: z.optional(
      z.object({
        kind: z.enum(["provenance", "attestations"]),
        sources: z.array(z.string()),
        digests: described(
          z.optional(z.array(z.object({ source: z.string(), sha256: hex64 }))),
          "sha256 of each source's bytes as received",
        ),
      }),
    ),
    claimedPublisher: described(
      z.optional(z.record(z.string(), z.unknown())),
      "the index's (unsigned) publisher object",
    ),
    identity: z.optional(IdentitySchema),
    attestations: z.array(AttestationSchema),
    expectations: z.array(
      z.object({
        name: z.enum(["repository", "workflow", "environment", "issuer", "identity"]),
        expected: z.string(),
        actual: z.optional(z.string()),
        ok: z.boolean(),
        reason: z.optional(z.string()),
      }),
    ),
    checks: z.array(CheckResultSchema),
    warnings: z.array(z.string()),
    verdict: z.enum(["verified", "failed", "missing", "error"]),
    failure: described(
      z.optional(z.object({ code: failureCode, message: z.string() })),
      "the first failing check, when the verdict is failed or missing",
    ),
    error: described(
      z.optional(z.object({ code: errorCode, message: z.string() })),
      "why no verdict was reached, when the verdict is error",
    ),
    slsa: z.optional(SlsaSchema),
    policy: z.optional(
      z.object({
        source: str("the policy file"),
        sha256: described(hex64, "sha256 of the policy file's bytes"),
        package: z.optional(z.string()),
        rule: z.optional(str('the packages key that applied ("default" when none)')),
        results: z.array(CheckResultSchema),
      }),
    ),
    continuity: described(
      z.optional(z.unknown()),
      "publisher continuity and look-alike name checks (an object), with --history",
    ),
  })
  .check(z.meta({ id: "TargetReport" }));

export const VerifyDocumentSchema = described(
  z.object({
    schemaVersion: z.literal(1),
    tool: z.object({ name: z.literal("pyprov"), version: z.string() }),
    command: z.literal("verify"),
    trustedRoot: z.optional(z.object({ source: z.string(), sha256: hex64 })),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    summary: z.object({
      total: count("files reported"),
      verified: count("verdict verified"),
      failed: count("verdict failed"),
      missing: count("verdict missing (no provenance)"),
      errors: count("no verdict"),
    }),
    results: described(z.array(TargetReportSchema), "one per file, in input order"),
    releases: described(
      z.array(
        z.object({
          project: z.string(),
          version: z.string(),
          level: described(z.enum(SLSA_LEVELS), "the minimum over the release's files"),
          files: count("files of the release among the results"),
          withoutProvenance: count("files without provenance (L0)"),
          mixed: described(z.boolean(), "some files have provenance and some do not"),
        }),
      ),
      "SLSA Build level of each release among the results",
    ),
    skipped: described(
      z.array(z.object({ name: z.string(), reason: z.string(), origin: z.optional(origin) })),
      "requirements/lock entries with no index provenance by nature (editable, VCS, ...)",
    ),
  }),
  "pyprov verify --format json, schema version 1",
);

// Every document pyprov produces has the type this schema describes, and every
// field of a document and of a result is described: a field added to
// VerifyDocument or TargetReport must be added here too (then regenerate
// docs/schemas with PYPROV_UPDATE_GOLDEN=1 npx vitest run test/report).
const _documentsConform = (d: VerifyDocument): z.input<typeof VerifyDocumentSchema> => d;
void _documentsConform;
type Undescribed<T, S> = Exclude<keyof T, keyof S>;
type AllDescribed = [
  Undescribed<VerifyDocument, z.input<typeof VerifyDocumentSchema>>,
  Undescribed<TargetReport, z.input<typeof TargetReportSchema>>,
];
const _allDescribed: AllDescribed extends [never, never] ? true : AllDescribed = true;
void _allDescribed;

/** The JSON report's JSON Schema (draft 2020-12), as published in docs/schemas/. */
export function verifyReportJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(VerifyDocumentSchema, {
    target: "draft-2020-12",
    io: "input",
    // z.int() bounds every integer by the safe-integer range: noise for readers.
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: REPORT_SCHEMA_ID,
    title: "pyprov verify report, schema version 1",
    ...rest,
  };
}
