/**
 * Look-alike project names: is this package's name close to the name of a
 * popular project it is not?
 *
 * Names are PEP 503-normalised first (`Requests_Toolbelt` = `requests-toolbelt`).
 * A name on the popular list is never a look-alike (it is popular itself).
 * Otherwise, against each popular name, in popularity order:
 *
 * - **separators**: equal once `-` is removed (`python-dateutil` / `pythondateutil`);
 * - **affixes**: equal once a `python-`, `python3-`, `py-`, `py` prefix or a
 *   `-python`, `-python3`, `-py`, `-lib` suffix is removed from either
 *   (`requests-python`, `py-requests`, `dateutil` for `python-dateutil`);
 * - **confusables**: equal once characters that look alike are folded
 *   (`rn`→`m`, `vv`→`w`, `cl`→`d`, `0`→`o`, `1`/`i`/`l`→`l`, `5`→`s`):
 *   `rnatplotlib`, `b0to3`, `fiask`;
 * - **edits**: a Damerau-Levenshtein distance of 1 (names of 5–8
 *   characters) or 2 (9 and more): `reqeusts`, `requets`. Shorter names are
 *   not compared by distance.
 */
import { canonicalizeName } from "../pypi/names.js";
import { damerauLevenshtein, editBudget } from "./distance.js";

export type LookalikeReason = "separators" | "affix" | "confusable" | "edit-distance";

export interface Lookalike {
  /** The popular project's canonical name. */
  popular: string;
  /** Its rank on the list (1 = most popular). */
  rank: number;
  reason: LookalikeReason;
  /** Damerau-Levenshtein distance between the two canonical names. */
  distance: number;
  /** One line for a person. */
  message: string;
}

const PREFIXES = ["python3-", "python-", "py-", "py"];
const SUFFIXES = ["-python3", "-python", "-py", "-lib"];
const CONFUSABLE_PAIRS: [RegExp, string][] = [
  [/rn/g, "m"],
  [/vv/g, "w"],
  [/cl/g, "d"],
];
const CONFUSABLE_CHARS: Record<string, string> = { "0": "o", "1": "l", i: "l", "5": "s" };

/** Without separators. */
export function squash(name: string): string {
  return canonicalizeName(name).replace(/-/g, "");
}

/** The name with look-alike characters folded together (separators removed). */
export function skeleton(name: string): string {
  let s = squash(name);
  for (const [re, to] of CONFUSABLE_PAIRS) s = s.replace(re, to);
  return [...s].map((c) => CONFUSABLE_CHARS[c] ?? c).join("");
}

/** The name without one well-known affix, or undefined when it has none (or nothing is left). */
export function stripAffix(name: string): { core: string; affix: string } | undefined {
  const c = canonicalizeName(name);
  for (const p of PREFIXES) {
    if (c.startsWith(p) && c.length - p.length >= 3)
      return { core: c.slice(p.length), affix: `${p}` };
  }
  for (const s of SUFFIXES) {
    if (c.endsWith(s) && c.length - s.length >= 3)
      return { core: c.slice(0, -s.length), affix: `${s}` };
  }
  return undefined;
}

/** A popular-project list prepared for look-ups. */
export class PopularIndex {
  /** Canonical names, most popular first. */
  readonly names: readonly string[];
  private readonly rank = new Map<string, number>();
  private readonly bySquash = new Map<string, string>();
  private readonly bySkeleton = new Map<string, string>();
  private readonly byCore = new Map<string, { name: string; affix: string }>();

  constructor(names: readonly string[]) {
    const canonical: string[] = [];
    for (const raw of names) {
      const n = canonicalizeName(raw);
      if (this.rank.has(n)) continue;
      this.rank.set(n, canonical.length + 1);
      canonical.push(n);
      if (!this.bySquash.has(squash(n))) this.bySquash.set(squash(n), n);
      if (!this.bySkeleton.has(skeleton(n))) this.bySkeleton.set(skeleton(n), n);
      const stripped = stripAffix(n);
      if (stripped && !this.byCore.has(stripped.core)) {
        this.byCore.set(stripped.core, { name: n, affix: stripped.affix });
      }
    }
    this.names = canonical;
  }

  get size(): number {
    return this.names.length;
  }

  has(name: string): boolean {
    return this.rank.has(canonicalizeName(name));
  }

  rankOf(name: string): number | undefined {
    return this.rank.get(canonicalizeName(name));
  }

  /** The popular projects `name` may be mistaken for (most popular first), at most `limit`. */
  lookalikes(name: string, limit = 3): Lookalike[] {
    const c = canonicalizeName(name);
    if (this.rank.has(c)) return [];
    const found = new Map<string, Lookalike>();
    const add = (popular: string | undefined, reason: LookalikeReason, why: string): void => {
      if (popular === undefined || popular === c || found.has(popular)) return;
      const rank = this.rank.get(popular)!;
      const distance = damerauLevenshtein(c, popular);
      found.set(popular, {
        popular,
        rank,
        reason,
        distance,
        message: `"${c}" looks like the popular project "${popular}" (#${rank}): ${why}`,
      });
    };
    add(this.bySquash.get(squash(c)), "separators", "the same name with other separators");
    const stripped = stripAffix(c);
    if (stripped) {
      const target = this.rank.has(stripped.core)
        ? stripped.core
        : this.bySquash.get(squash(stripped.core));
      add(target, "affix", `the same name with "${stripped.affix}" added`);
    }
    const core = this.byCore.get(c) ?? this.byCore.get(squash(c));
    if (core) add(core.name, "affix", `the same name without "${core.affix}"`);
    add(this.bySkeleton.get(skeleton(c)), "confusable", "the same name with look-alike characters");
    const budget = editBudget(c.length);
    if (budget > 0) {
      for (const p of this.names) {
        if (Math.abs(p.length - c.length) > budget || editBudget(p.length) === 0) continue;
        const d = damerauLevenshtein(c, p, Math.min(budget, editBudget(p.length)));
        if (d <= Math.min(budget, editBudget(p.length))) {
          add(p, "edit-distance", `${d} edit${d === 1 ? "" : "s"} away`);
        }
      }
    }
    return [...found.values()].sort((x, y) => x.rank - y.rank).slice(0, limit);
  }
}
