/**
 * The look-alike signals for one package, as continuity findings:
 *
 * - `lookalike-name`: its name is close to a popular project's (lookalike.ts);
 * - `new-project`: its first upload on the index is younger than the minimum
 *   age (default 30 days; policy `continuity.min_project_age_days`);
 * - `unrelated-repository`: an attested repository's name shares nothing with
 *   the package's name (repository.ts).
 *
 * They are warnings; a policy with `continuity.lookalike: error` makes them
 * failures (LOOKALIKE_NAME, NEW_PROJECT, UNRELATED_REPOSITORY).
 */
import type { FailureCode } from "../errors.js";
import type { ContinuityFinding, FindingKind } from "../history/types.js";
import type { PopularIndex } from "./lookalike.js";
import { repositoryRelated } from "./repository.js";

export const DEFAULT_MIN_PROJECT_AGE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface NameRules {
  /** warn (default), error (the file fails), off (not checked). */
  lookalike: "warn" | "error" | "off";
  /** A project whose first upload is younger is "new" (0: never). */
  minProjectAgeDays: number;
}

export interface NameInputs {
  /** Canonical project name. */
  name: string;
  /** The earliest upload time on the index page, if the index gives times. */
  firstUpload: Date | undefined;
  /** Repositories (OWNER/NAME) of the verified identities of the package's files. */
  repositories: string[];
  popular: PopularIndex | undefined;
  now: Date;
}

const CODES: Partial<Record<FindingKind, FailureCode>> = {
  "lookalike-name": "LOOKALIKE_NAME",
  "new-project": "NEW_PROJECT",
  "unrelated-repository": "UNRELATED_REPOSITORY",
};

export function checkNames(input: NameInputs, rules: NameRules): ContinuityFinding[] {
  if (rules.lookalike === "off") return [];
  const out: ContinuityFinding[] = [];
  const add = (kind: FindingKind, message: string): void => {
    const code = CODES[kind];
    out.push(
      rules.lookalike === "error" && code !== undefined
        ? { kind, severity: "fail", code, message }
        : { kind, severity: "warn", message },
    );
  };
  const similar = input.popular?.lookalikes(input.name) ?? [];
  if (similar.length > 0) {
    const others = similar.slice(1).map((s) => `"${s.popular}"`);
    add(
      "lookalike-name",
      `look-alike name: ${similar[0]!.message}${others.length ? ` (also like ${others.join(", ")})` : ""}; check that you meant this project`,
    );
  }
  if (input.firstUpload !== undefined && rules.minProjectAgeDays > 0) {
    const age = (input.now.getTime() - input.firstUpload.getTime()) / DAY_MS;
    if (age < rules.minProjectAgeDays) {
      add(
        "new-project",
        `new project: ${input.name} was first uploaded on ${input.firstUpload.toISOString().slice(0, 10)} (${Math.max(0, Math.floor(age))} day(s) ago, less than ${rules.minProjectAgeDays})`,
      );
    }
  }
  for (const repo of [...new Set(input.repositories)]) {
    if (!repositoryRelated(input.name, repo)) {
      add(
        "unrelated-repository",
        `unrelated repository: ${input.name} is published from ${repo}, whose name has nothing in common with the package's`,
      );
    }
  }
  return out;
}
