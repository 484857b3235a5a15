/**
 * Which rule and which exceptions apply to a package.
 *
 * Package keys are compared after PEP 503 normalisation (`Acme_Lib` and
 * `acme-lib` are the same project; a glob's literal parts are normalised
 * too). The most specific key wins:
 *   1. an exact name beats every glob;
 *   2. among globs, the one with the most literal (non-wildcard) characters;
 *   3. among equally specific globs, the first in the file (with a warning).
 * Fields the winning rule leaves out come from `default`; a rule's
 * `publishers` list replaces the default list, it is not merged with it.
 */
import { canonicalizeName } from "../pypi/names.js";
import { globMatch } from "./glob.js";
import type { EffectiveRule, ExceptionEntry, LoadedPolicy, PackageEntry } from "./load.js";

export interface ResolvedRule {
  /** Canonical package name. */
  package: string;
  /** The packages key that matched, or undefined for `default`. */
  entry: PackageEntry | undefined;
  /** "sampleproject", "acme-* (glob)" or "default". */
  describe: string;
  rule: EffectiveRule;
  /** Set when two equally specific globs matched. */
  ambiguity: string | undefined;
}

function matches(pattern: string, glob: boolean, name: string): boolean {
  return glob ? globMatch(pattern, name) : pattern === name;
}

export function resolveRule(policy: LoadedPolicy, packageName: string): ResolvedRule {
  const name = canonicalizeName(packageName);
  const candidates = policy.packages.filter((e) => matches(e.pattern, e.glob, name));
  const exact = candidates.find((e) => !e.glob);
  const globs = candidates
    .filter((e) => e.glob)
    .sort((a, b) => b.specificity - a.specificity || a.index - b.index);
  const best = exact ?? globs[0];
  const tie =
    exact === undefined && globs[1] !== undefined && globs[1].specificity === globs[0]!.specificity
      ? globs[1]
      : undefined;
  const d = policy.defaults;
  const r = best?.rule;
  return {
    package: name,
    entry: best,
    describe: best ? (best.glob ? `${best.key} (glob)` : best.key) : "default",
    rule: {
      require_attestation: r?.require_attestation ?? d.require_attestation,
      min_slsa_level: r?.min_slsa_level ?? d.min_slsa_level,
      publishers: r?.publishers ?? d.publishers,
    },
    ambiguity:
      best && tie
        ? `package ${name} matches the equally specific globs "${best.key}" and "${tie.key}"; "${best.key}" (first in the file) applies`
        : undefined,
  };
}

export interface ExceptionStatus {
  active: ExceptionEntry[];
  expired: ExceptionEntry[];
}

/** The exceptions naming this package, split by whether they still apply at `now`. */
export function exceptionsFor(
  policy: LoadedPolicy,
  packageName: string,
  now: Date,
): ExceptionStatus {
  const name = canonicalizeName(packageName);
  const active: ExceptionEntry[] = [];
  const expired: ExceptionEntry[] = [];
  for (const e of policy.exceptions) {
    if (!matches(e.pattern, e.glob, name)) continue;
    (now.getTime() < e.endsAt.getTime() ? active : expired).push(e);
  }
  return { active, expired };
}
