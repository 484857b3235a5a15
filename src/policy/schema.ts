/**
 * The policy file model (version 1), validated with zod. Every object is
 * strict: an unknown key is an error, never silently ignored. The JSON
 * Schema that `pyprov policy schema` prints is generated from these same
 * schemas, so the two cannot drift apart.
 */
import * as z from "zod/mini";
import { described } from "../util/zod.js";

export const POLICY_VERSION = 1;

/** Largest policy file pyprov reads. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** An immutable numeric ID (Fulcio .15 / .17): a decimal string, or a YAML/JSON integer. */
const NumericId = z.pipe(
  z.union([
    z.string().check(z.regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal number, e.g. "123456"')),
    z.int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)),
  ]),
  z.transform((v: string | number) => String(v)),
);

const Level = z
  .int("must be a whole number from 0 to 3")
  .check(z.gte(0, "must be from 0 to 3"), z.lte(3, "must be from 0 to 3"));

const NonEmpty = z.string().check(z.minLength(1, "must not be empty"));

/** A glob: `*` (not across "/"), `**` (across "/"), `?` (one character). */
const Glob = described(
  NonEmpty,
  'exact value, or a glob: "*" matches any run of characters except "/", "**" any run, "?" one character',
);

const Triggers = z.optional(
  described(
    z.array(NonEmpty).check(z.minLength(1, "must list at least one event")),
    "allowed Build Trigger values (Fulcio .20), e.g. [push, release]",
  ),
);

export const GitHubPublisherSchema = z
  .strictObject({
    kind: z.literal("github"),
    repository: described(
      z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be OWNER/NAME")),
      "OWNER/NAME on github.com, compared with the Source Repository URI (.12) ignoring case, as GitHub does",
    ),
    repository_id: described(z.optional(NumericId), "Source Repository Identifier (.15)"),
    owner_id: described(z.optional(NumericId), "Source Repository Owner Identifier (.17)"),
    workflow: described(
      z.optional(NonEmpty),
      "top-level workflow (.18): a file name means .github/workflows/<name>; a value with / is a whole path",
    ),
    environment: described(
      z.optional(NonEmpty),
      "Deployment Environment (.23), ignoring case as GitHub does",
    ),
    ref: described(z.optional(Glob), "Source Repository Ref (.14), e.g. refs/tags/*"),
    runner: described(
      z.optional(z.enum(["github-hosted", "self-hosted"])),
      "Runner Environment (.11)",
    ),
    triggers: Triggers,
  })
  .check(z.meta({ id: "GitHubPublisher", description: "a GitHub Actions trusted publisher" }));

export const GitLabPublisherSchema = z
  .strictObject({
    kind: z.literal("gitlab"),
    repository: described(
      z
        .string()
        .check(
          z.regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/, "must be GROUP/[SUBGROUP/...]PROJECT"),
        ),
      "project path on gitlab.com, compared with the Source Repository URI (.12) ignoring case, as GitLab does",
    ),
    repository_id: described(z.optional(NumericId), "project ID (.15)"),
    owner_id: described(z.optional(NumericId), "namespace ID (.17)"),
    workflow_filepath: described(z.optional(NonEmpty), "CI config file path inside .18"),
    environment: described(z.optional(NonEmpty), "Deployment Environment (.23), exact"),
    ref: described(z.optional(Glob), "Source Repository Ref (.14)"),
    runner: described(
      z.optional(z.enum(["gitlab-hosted", "self-hosted"])),
      "Runner Environment (.11)",
    ),
    triggers: Triggers,
  })
  .check(z.meta({ id: "GitLabPublisher", description: "a GitLab CI/CD trusted publisher" }));

export const GooglePublisherSchema = z
  .strictObject({
    kind: z.literal("google"),
    email: described(
      z.string().check(z.regex(/^[^@\s]+@[^@\s]+$/, "must be an e-mail address")),
      "service account e-mail, compared exactly with the certificate's SAN",
    ),
  })
  .check(z.meta({ id: "GooglePublisher", description: "a Google service-account publisher" }));

export const PolicyPublisherSchema = z.discriminatedUnion("kind", [
  GitHubPublisherSchema,
  GitLabPublisherSchema,
  GooglePublisherSchema,
]);

const PACKAGE_PATTERN_RE = /^[A-Za-z0-9*?](?:[A-Za-z0-9._*?-]*[A-Za-z0-9*?])?$/;
const PackagePattern = described(
  z.string().check(z.regex(PACKAGE_PATTERN_RE, "must be a project name or a glob such as acme-*")),
  "project name (compared after PEP 503 normalisation) or a glob such as acme-*",
);

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

export const ContinuitySchema = described(
  z.strictObject({
    allow_changes: described(
      z.optional(z.array(z.enum(CONTINUITY_FIELDS))),
      "identity fields that may change between releases (verify --history): a change of any other field fails",
    ),
    allow_downgrade: described(
      z.optional(z.boolean()),
      "true: a release without provenance after attested ones is a warning, not a failure",
    ),
    lookalike: described(
      z.optional(z.enum(["warn", "error", "off"])),
      "look-alike name, new project and unrelated repository findings: warn (default), error, off",
    ),
    min_project_age_days: described(
      z.optional(z.int("must be a whole number of days").check(z.gte(0), z.lte(36500))),
      "a project first uploaded fewer days ago is new (default 30; 0: never)",
    ),
  }),
  "publisher continuity between releases and look-alike names (verify --history)",
);

export const RuleSchema = z
  .strictObject({
    require_attestation: described(
      z.optional(z.boolean()),
      "false: a file without provenance is a warning (SLSA L0), not a failure",
    ),
    min_slsa_level: described(
      z.optional(Level),
      "lowest SLSA Build level a file with provenance may have (0-3)",
    ),
    publishers: described(
      z.optional(z.array(PolicyPublisherSchema).check(z.maxLength(64))),
      "allowed publishers; empty: any verified publisher",
    ),
    continuity: described(
      z.optional(ContinuitySchema),
      "publisher continuity and look-alike rules (verify --history); fields missing here come from default's",
    ),
  })
  .check(z.meta({ id: "Rule", description: "what a package's files must meet" }));

export const TrustedBuilderSchema = z
  .strictObject({
    id: described(
      z
        .string()
        .check(z.regex(/^https:\/\/[^\s@]+$/, "must be an https:// builder URI without @ref")),
      "isolated reusable builder workflow, without @ref (glob allowed), e.g. https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml",
    ),
    note: z.optional(z.string()),
  })
  .check(
    z.meta({ id: "TrustedBuilder", description: "a builder whose SLSA provenance may earn L3" }),
  );

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DateString = described(
  z.string().check(
    z.regex(DATE_RE, "must be a date YYYY-MM-DD"),
    z.refine((s) => parseDate(s) !== undefined, "is not a calendar date"),
  ),
  "last day the exception applies (YYYY-MM-DD, UTC)",
);

export const WAIVABLE = ["require_attestation", "publishers", "min_slsa_level"] as const;
export type Waivable = (typeof WAIVABLE)[number];

export const ExceptionSchema = z
  .strictObject({
    package: PackagePattern,
    reason: described(NonEmpty, "why the exception exists (shown in every report)"),
    expires: DateString,
    waive: described(
      z.optional(z.array(z.enum(WAIVABLE)).check(z.minLength(1))),
      "the policy rules it waives (default: all three); never a verification failure",
    ),
  })
  .check(
    z.meta({
      id: "Exception",
      description: "a temporary exception to the policy for some packages",
    }),
  );

export const PolicySchema = z
  .strictObject({
    $schema: described(z.optional(z.string()), "URI of this JSON Schema, for editors"),
    version: z.literal(POLICY_VERSION, "must be 1 (this pyprov reads policy version 1)"),
    default: described(z.optional(RuleSchema), "the rule for packages no entry of packages names"),
    packages: described(
      z.optional(z.record(PackagePattern, RuleSchema)),
      "rules per project: an exact name beats a glob; among globs the most literal characters win",
    ),
    trusted_builders: described(
      z.optional(z.array(TrustedBuilderSchema).check(z.maxLength(64))),
      "isolated builders that may earn SLSA Build L3",
    ),
    exceptions: z.optional(z.array(ExceptionSchema).check(z.maxLength(256))),
  })
  .check(
    z.meta({
      title: "pyprov policy",
      description:
        "Which publishers and SLSA Build levels pyprov accepts for each Python package (version 1).",
    }),
  );

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
