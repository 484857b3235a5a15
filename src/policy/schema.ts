/**
 * The policy file model (version 1), validated with zod. Every object is
 * strict: an unknown key is an error, never silently ignored. The JSON
 * Schema that `pyprov policy schema` prints is generated from these same
 * schemas, so the two cannot drift apart.
 */
import { z } from "zod";

export const POLICY_VERSION = 1;

/** Largest policy file pyprov reads. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** An immutable numeric ID (Fulcio .15 / .17): a decimal string, or a YAML/JSON integer. */
const NumericId = z
  .union([
    z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal number, e.g. "123456"'),
    z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((v) => String(v));

const Level = z
  .int("must be a whole number from 0 to 3")
  .min(0, "must be from 0 to 3")
  .max(3, "must be from 0 to 3");

const NonEmpty = z.string().min(1, "must not be empty");

/** A glob: `*` (not across "/"), `**` (across "/"), `?` (one character). */
const Glob = NonEmpty.describe(
  'exact value, or a glob: "*" matches any run of characters except "/", "**" any run, "?" one character',
);

const Triggers = z
  .array(NonEmpty)
  .min(1, "must list at least one event")
  .describe("allowed Build Trigger values (Fulcio .20), e.g. [push, release]")
  .optional();

export const GitHubPublisherSchema = z
  .strictObject({
    kind: z.literal("github"),
    repository: z
      .string()
      .regex(/^[^/\s]+\/[^/\s]+$/, "must be OWNER/NAME")
      .describe("OWNER/NAME, compared exactly with the Source Repository URI (.12)"),
    repository_id: NumericId.optional().describe("Source Repository Identifier (.15)"),
    owner_id: NumericId.optional().describe("Source Repository Owner Identifier (.17)"),
    workflow: NonEmpty.optional().describe(
      "top-level workflow (.18): a file name means .github/workflows/<name>; a value with / is a whole path",
    ),
    environment: NonEmpty.optional().describe("Deployment Environment (.23), exact"),
    ref: Glob.optional().describe("Source Repository Ref (.14), e.g. refs/tags/*"),
    runner: z
      .enum(["github-hosted", "self-hosted"])
      .optional()
      .describe("Runner Environment (.11)"),
    triggers: Triggers,
  })
  .meta({ id: "GitHubPublisher", description: "a GitHub Actions trusted publisher" });

export const GitLabPublisherSchema = z
  .strictObject({
    kind: z.literal("gitlab"),
    repository: z
      .string()
      .regex(/^[^/\s]+(\/[^/\s]+)+$/, "must be GROUP/[SUBGROUP/...]PROJECT")
      .describe("project path, compared exactly with the Source Repository URI (.12)"),
    repository_id: NumericId.optional().describe("project ID (.15)"),
    owner_id: NumericId.optional().describe("namespace ID (.17)"),
    workflow_filepath: NonEmpty.optional().describe("CI config file path inside .18"),
    environment: NonEmpty.optional().describe("Deployment Environment (.23), exact"),
    ref: Glob.optional().describe("Source Repository Ref (.14)"),
    runner: z
      .enum(["gitlab-hosted", "self-hosted"])
      .optional()
      .describe("Runner Environment (.11)"),
    triggers: Triggers,
  })
  .meta({ id: "GitLabPublisher", description: "a GitLab CI/CD trusted publisher" });

export const GooglePublisherSchema = z
  .strictObject({
    kind: z.literal("google"),
    email: z
      .string()
      .regex(/^[^@\s]+@[^@\s]+$/, "must be an e-mail address")
      .describe("service account e-mail, compared exactly with the certificate's SAN"),
  })
  .meta({ id: "GooglePublisher", description: "a Google service-account publisher" });

export const PolicyPublisherSchema = z.discriminatedUnion("kind", [
  GitHubPublisherSchema,
  GitLabPublisherSchema,
  GooglePublisherSchema,
]);

const PACKAGE_PATTERN_RE = /^[A-Za-z0-9*?](?:[A-Za-z0-9._*?-]*[A-Za-z0-9*?])?$/;
const PackagePattern = z
  .string()
  .regex(PACKAGE_PATTERN_RE, "must be a project name or a glob such as acme-*")
  .describe("project name (compared after PEP 503 normalisation) or a glob such as acme-*");

/** Identity fields `continuity.allow_changes` may name (history/types.ts IDENTITY_FIELDS). */
const CONTINUITY_FIELDS = [
  "issuer",
  "repository",
  "owner",
  "repository_id",
  "owner_id",
  "workflow",
  "environment",
  "identity",
] as const;

export const ContinuitySchema = z
  .strictObject({
    allow_changes: z
      .array(z.enum(CONTINUITY_FIELDS))
      .optional()
      .describe(
        "identity fields that may change between releases (verify --history): a change of any other field fails",
      ),
    allow_downgrade: z
      .boolean()
      .optional()
      .describe(
        "true: a release without provenance after attested ones is a warning, not a failure",
      ),
    lookalike: z
      .enum(["warn", "error", "off"])
      .optional()
      .describe(
        "look-alike name, new project and unrelated repository findings: warn (default), error, off",
      ),
    min_project_age_days: z
      .int("must be a whole number of days")
      .min(0)
      .max(36500)
      .optional()
      .describe("a project first uploaded fewer days ago is new (default 30; 0: never)"),
  })
  .describe("publisher continuity between releases and look-alike names (verify --history)");

export const RuleSchema = z
  .strictObject({
    require_attestation: z
      .boolean()
      .optional()
      .describe("false: a file without provenance is a warning (SLSA L0), not a failure"),
    min_slsa_level: Level.optional().describe(
      "lowest SLSA Build level a file with provenance may have (0-3)",
    ),
    publishers: z
      .array(PolicyPublisherSchema)
      .max(64)
      .optional()
      .describe("allowed publishers; empty: any verified publisher"),
    continuity: ContinuitySchema.optional().describe(
      "publisher continuity and look-alike rules (verify --history); fields missing here come from default's",
    ),
  })
  .meta({ id: "Rule", description: "what a package's files must meet" });

export const TrustedBuilderSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^https:\/\/[^\s@]+$/, "must be an https:// builder URI without @ref")
      .describe(
        "isolated reusable builder workflow, without @ref (glob allowed), e.g. https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml",
      ),
    note: z.string().optional(),
  })
  .meta({ id: "TrustedBuilder", description: "a builder whose SLSA provenance may earn L3" });

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DateString = z
  .string()
  .regex(DATE_RE, "must be a date YYYY-MM-DD")
  .refine((s) => parseDate(s) !== undefined, "is not a calendar date")
  .describe("last day the exception applies (YYYY-MM-DD, UTC)");

export const WAIVABLE = ["require_attestation", "publishers", "min_slsa_level"] as const;
export type Waivable = (typeof WAIVABLE)[number];

export const ExceptionSchema = z
  .strictObject({
    package: PackagePattern,
    reason: NonEmpty.describe("why the exception exists (shown in every report)"),
    expires: DateString,
    waive: z
      .array(z.enum(WAIVABLE))
      .min(1)
      .optional()
      .describe("the policy rules it waives (default: all three); never a verification failure"),
  })
  .meta({ id: "Exception", description: "a temporary exception to the policy for some packages" });

export const PolicySchema = z
  .strictObject({
    $schema: z.string().optional().describe("URI of this JSON Schema, for editors"),
    version: z.literal(POLICY_VERSION, "must be 1 (this pyprov reads policy version 1)"),
    default: RuleSchema.optional().describe("the rule for packages no entry of packages names"),
    packages: z
      .record(PackagePattern, RuleSchema)
      .optional()
      .describe(
        "rules per project: an exact name beats a glob; among globs the most literal characters win",
      ),
    trusted_builders: z
      .array(TrustedBuilderSchema)
      .max(64)
      .optional()
      .describe("isolated builders that may earn SLSA Build L3"),
    exceptions: z.array(ExceptionSchema).max(256).optional(),
  })
  .meta({
    title: "pyprov policy",
    description:
      "Which publishers and SLSA Build levels pyprov accepts for each Python package (version 1).",
  });

export type PolicyDocument = z.output<typeof PolicySchema>;
export type PolicyRule = z.output<typeof RuleSchema>;
export type PolicyPublisher = z.output<typeof PolicyPublisherSchema>;
export type GitHubPolicyPublisher = z.output<typeof GitHubPublisherSchema>;
export type GitLabPolicyPublisher = z.output<typeof GitLabPublisherSchema>;
export type GooglePolicyPublisher = z.output<typeof GooglePublisherSchema>;
export type TrustedBuilder = z.output<typeof TrustedBuilderSchema>;
export type PolicyException = z.output<typeof ExceptionSchema>;
export type PolicyContinuity = z.output<typeof ContinuitySchema>;

/** A YYYY-MM-DD calendar date as midnight UTC, or undefined if it is not one. */
export function parseDate(s: string): Date | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return undefined;
  }
  return date;
}

/** The policy's JSON Schema (draft 2020-12), for editors and other tools. */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicySchema, {
    io: "input",
    target: "draft-2020-12",
  }) as Record<string, unknown>;
}
