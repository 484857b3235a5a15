/**
 * The continuity rules for one package: the policy's `continuity` settings
 * (the package's rule, each missing field from `default`), and the policy
 * publishers that may acknowledge a change.
 *
 * A publisher change is *accepted* (a warning) when the new identity matches
 * a publisher the policy pins for the package **by its IDs**: someone
 * reviewed it (e.g. with `pyprov policy diff --write`). A pin without
 * repository_id cannot accept anything: a re-registered name would match it.
 */
import { DEFAULT_MIN_PROJECT_AGE_DAYS, type NameRules } from "../names/check.js";
import type { LoadedPolicy } from "../policy/load.js";
import { resolveRule } from "../policy/match.js";
import { describePolicyPublisher, matchPolicyPublisher } from "../policy/publisher.js";
import type { HistoryRules } from "./compare.js";
import type { ObservedIdentity } from "./identity.js";

export type ContinuityRules = HistoryRules & NameRules;

export const DEFAULT_RULES: ContinuityRules = {
  allowChanges: [],
  allowDowngrade: false,
  lookalike: "warn",
  minProjectAgeDays: DEFAULT_MIN_PROJECT_AGE_DAYS,
};

export function continuityRules(policy: LoadedPolicy | undefined, name: string): ContinuityRules {
  if (!policy) return DEFAULT_RULES;
  const resolved = resolveRule(policy, name);
  const own = resolved.entry?.rule.continuity ?? {};
  const base = policy.document.default?.continuity ?? {};
  const pick = <K extends keyof typeof own>(k: K) => own[k] ?? base[k];
  const publishers = resolved.rule.publishers;
  return {
    allowChanges: pick("allow_changes") ?? DEFAULT_RULES.allowChanges,
    allowDowngrade: pick("allow_downgrade") ?? DEFAULT_RULES.allowDowngrade,
    lookalike: pick("lookalike") ?? DEFAULT_RULES.lookalike,
    minProjectAgeDays: pick("min_project_age_days") ?? DEFAULT_RULES.minProjectAgeDays,
    pinnedBy: (o: ObservedIdentity) => {
      for (const p of publishers) {
        if (p.kind !== "google" && p.repository_id === undefined) continue;
        const m = matchPolicyPublisher(p, { claims: o.claims, identity: o.san });
        if (m.ok && m.warnings.length === 0) {
          return `${describePolicyPublisher(p)} (rule ${resolved.describe})`;
        }
      }
      return undefined;
    },
  };
}
