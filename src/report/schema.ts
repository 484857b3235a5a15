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
import { z } from "zod";
import type { FulcioClaims } from "../identity/certificate.js";
import { SLSA_LEVELS } from "../slsa/types.js";
import type { TargetReport } from "../verify/types.js";
import type { VerifyDocument } from "./json.js";

export const REPORT_SCHEMA_ID =
  "https://raw.githubusercontent.com/pyprov/pyprov/main/docs/schemas/pyprov-verify-v1.schema.json";

const str = (description: string) => z.string().describe(description);
const count = (description: string) => z.int().nonnegative().describe(description);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
// Code lists grow within a schema version (a new check, a new failure code), so
// they are patterns here, not enumerations: a report from a newer pyprov still
// validates against this schema. The README lists the current values.
const failureCode = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/)
  .describe("a failure code (exit 1), e.g. SUBJECT_DIGEST; README: Failure reasons");
const errorCode = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/)
  .describe("an error code (no verdict, exit 2), e.g. NETWORK");
const checkId = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/)
  .describe("a check id, e.g. sigstore, subject-digest, policy-slsa");
const origin = z
  .object({
    file: str("the requirements file or lockfile, as given"),
    line: z.int().min(1).describe("1-based line"),
  })
  .describe("the requirements-file or lockfile line a target came from");

const CheckResultSchema = z
  .object({
    id: checkId,
    ok: z.boolean(),
    code: failureCode.optional().describe("set when ok is false"),
    message: z.string(),
  })
  .meta({ id: "CheckResult" });

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

const ClaimsSchema = z
  .object(
    Object.fromEntries(CLAIM_KEYS.map((k) => [k, z.string().optional()])) as Record<
      (typeof CLAIM_KEYS)[number],
      z.ZodOptional<z.ZodString>
    >,
  )
  .describe("Fulcio certificate claims by name (issuer: .8, else .1)");

const AttestationSchema = z
  .object({
    source: str("the file (or URL) and JSON path the attestation came from"),
    predicateType: z.string().optional(),
    subject: z.object({ name: z.string(), sha256: z.string().optional() }).optional(),
    certificate: z
      .object({
        identity: str("the subject alternative name a person reads (URI or e-mail)").optional(),
        issuer: str("the OIDC issuer").optional(),
        serialNumber: z.string(),
        notBefore: z.string(),
        notAfter: z.string(),
        claims: ClaimsSchema,
        extensions: z
          .record(z.string(), z.string())
          .describe("every Fulcio extension decoded, keyed by OID"),
      })
      .optional(),
    logEntry: z
      .object({
        kind: str('the log entry\'s kind and version, e.g. "dsse 0.0.1"'),
        logIndex: str("decimal"),
        logId: str("hex"),
        integratedTime: str("only when a signed entry timestamp covers it").optional(),
        checkpointOrigin: z.string().optional(),
      })
      .optional(),
    verifiedTimes: z.array(
      z.object({ source: z.enum(["rekor-set", "rfc3161"]), time: z.string() }),
    ),
    checks: z.array(CheckResultSchema),
    ok: z.boolean(),
    predicate: z.unknown().optional().describe("the signed predicate of SLSA Provenance v1"),
  })
  .meta({ id: "AttestationReport" });

const IdentitySchema = z
  .object({
    kind: z.enum(["github", "gitlab", "google", "other"]),
    issuer: z.string().optional(),
    repository: z.string().optional(),
    workflow: z.string().optional(),
    ref: z.string().optional(),
    environment: z.string().optional(),
    runner: z.string().optional(),
    repositoryId: z.string().optional(),
    ownerId: z.string().optional(),
    identity: z.string().optional(),
  })
  .describe("the publisher identity read from the first verified certificate");

const SlsaSchema = z
  .object({
    level: z.enum(SLSA_LEVELS),
    evidence: z.object({
      attestation: z.string().optional(),
      predicateTypes: z.array(z.string()),
      issuer: z.string().optional(),
      runnerEnvironment: z.string().optional(),
      buildSignerUri: z.string().optional(),
      buildConfigUri: z.string().optional(),
      builderId: z.string().optional(),
      buildType: z.string().optional(),
      trustedBuilder: z.string().optional(),
      timeSource: z.enum(["rekor-set", "rfc3161"]).optional(),
      verifiedTime: z.string().optional(),
    }),
    whyNotHigher: z.string(),
  })
  .describe("the file's SLSA Build level and the evidence it rests on");

const TargetReportSchema = z
  .object({
    target: z.object({
      filename: z.string(),
      sha256: z
        .string()
        .regex(/^([0-9a-f]{64})?$/)
        .describe("empty when the target could not be resolved to a file"),
      path: str("the local file, when there is one").optional(),
      project: z.string().optional(),
      version: z.string().optional(),
      url: str("the index's download URL").optional(),
      origin: origin.optional(),
    }),
    provenance: z
      .object({
        kind: z.enum(["provenance", "attestations"]),
        sources: z.array(z.string()),
        digests: z
          .array(z.object({ source: z.string(), sha256: hex64 }))
          .optional()
          .describe("sha256 of each source's bytes as received"),
      })
      .optional(),
    claimedPublisher: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("the index's (unsigned) publisher object"),
    identity: IdentitySchema.optional(),
    attestations: z.array(AttestationSchema),
    expectations: z.array(
      z.object({
        name: z.enum(["repository", "workflow", "environment", "issuer", "identity"]),
        expected: z.string(),
        actual: z.string().optional(),
        ok: z.boolean(),
        reason: z.string().optional(),
      }),
    ),
    checks: z.array(CheckResultSchema),
    warnings: z.array(z.string()),
    verdict: z.enum(["verified", "failed", "missing", "error"]),
    failure: z
      .object({ code: failureCode, message: z.string() })
      .optional()
      .describe("the first failing check, when the verdict is failed or missing"),
    error: z
      .object({ code: errorCode, message: z.string() })
      .optional()
      .describe("why no verdict was reached, when the verdict is error"),
    slsa: SlsaSchema.optional(),
    policy: z
      .object({
        source: str("the policy file"),
        sha256: hex64.describe("sha256 of the policy file's bytes"),
        package: z.string().optional(),
        rule: str('the packages key that applied ("default" when none)').optional(),
        results: z.array(CheckResultSchema),
      })
      .optional(),
    continuity: z
      .unknown()
      .optional()
      .describe("publisher continuity and look-alike name checks (an object), with --history"),
  })
  .meta({ id: "TargetReport" });

export const VerifyDocumentSchema = z
  .object({
    schemaVersion: z.literal(1),
    tool: z.object({ name: z.literal("pyprov"), version: z.string() }),
    command: z.literal("verify"),
    trustedRoot: z.object({ source: z.string(), sha256: hex64 }).optional(),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    summary: z.object({
      total: count("files reported"),
      verified: count("verdict verified"),
      failed: count("verdict failed"),
      missing: count("verdict missing (no provenance)"),
      errors: count("no verdict"),
    }),
    results: z.array(TargetReportSchema).describe("one per file, in input order"),
    releases: z
      .array(
        z.object({
          project: z.string(),
          version: z.string(),
          level: z.enum(SLSA_LEVELS).describe("the minimum over the release's files"),
          files: count("files of the release among the results"),
          withoutProvenance: count("files without provenance (L0)"),
          mixed: z.boolean().describe("some files have provenance and some do not"),
        }),
      )
      .describe("SLSA Build level of each release among the results"),
    skipped: z
      .array(z.object({ name: z.string(), reason: z.string(), origin: origin.optional() }))
      .describe(
        "requirements/lock entries with no index provenance by nature (editable, VCS, ...)",
      ),
  })
  .describe("pyprov verify --format json, schema version 1");

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
