/**
 * SLSA Provenance v1 predicates (slsa-levels.md §4): the shape pyprov reads,
 * the build types it recognises, and attaching each signed predicate to its
 * attestation report so that level evaluation stays a pure function of the
 * report.
 */
import * as z from "zod/mini";
import type { LoadedProvenance } from "../pep740/load.js";
import { PREDICATE_SLSA_PROVENANCE_V1 } from "../pep740/models.js";
import type { TargetReport } from "../verify/types.js";
import { ENGLISH } from "../util/zod.js"; // English issue messages

/**
 * Build types whose externalParameters pyprov understands: GitHub Actions
 * workflows, `{workflow: {ref, repository, path}}` (plus `inputs` and `vars`
 * for the slsa-framework types).
 */
export const GITHUB_WORKFLOW_BUILD_TYPES: readonly string[] = [
  "https://actions.github.io/buildtypes/workflow/v1",
  "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
  "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
];

const StringRecord = z.record(z.string(), z.unknown());

export const SlsaPredicateSchema = z.looseObject({
  buildDefinition: z.looseObject({
    buildType: z.string().check(z.minLength(1)),
    externalParameters: StringRecord,
    internalParameters: z.optional(z.unknown()),
    resolvedDependencies: z.optional(
      z.array(
        z.looseObject({
          uri: z.optional(z.string()),
          digest: z.optional(z.record(z.string(), z.string())),
        }),
      ),
    ),
  }),
  runDetails: z.looseObject({
    builder: z.looseObject({ id: z.string().check(z.minLength(1)) }),
    metadata: z.optional(z.looseObject({ invocationId: z.optional(z.string()) })),
  }),
});
export type SlsaPredicate = z.infer<typeof SlsaPredicateSchema>;

/** Parse a predicate; a one-line reason when it is not SLSA Provenance v1. */
export function parseSlsaPredicate(
  predicate: unknown,
): { ok: true; predicate: SlsaPredicate } | { ok: false; reason: string } {
  if (predicate === undefined || predicate === null) {
    return { ok: false, reason: "the SLSA provenance attestation has no predicate" };
  }
  const parsed = SlsaPredicateSchema.safeParse(predicate, ENGLISH);
  if (parsed.success) return { ok: true, predicate: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
  return {
    ok: false,
    reason: `the predicate is not a SLSA Provenance v1 predicate${where}: ${issue?.message ?? "invalid"}`,
  };
}

/**
 * Copy each SLSA provenance statement's predicate (as signed) into its
 * attestation report (`predicate`), matched by source. Statements that do
 * not parse are left alone: their checks already failed.
 */
export function attachSlsaPredicates(report: TargetReport, provenance: LoadedProvenance): void {
  const bySource = new Map(report.attestations.map((a) => [a.source, a]));
  for (const group of provenance.groups) {
    for (const { attestation, source } of group.attestations) {
      const target = bySource.get(source);
      if (!target || target.predicateType !== PREDICATE_SLSA_PROVENANCE_V1) continue;
      try {
        const text = new TextDecoder("utf-8", { fatal: true }).decode(
          attestation.envelope.statement,
        );
        const statement = JSON.parse(text) as { predicate?: unknown };
        if (statement.predicate !== undefined) target.predicate = statement.predicate;
      } catch {
        // The statement check has already failed and says why.
      }
    }
  }
}
