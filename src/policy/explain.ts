/**
 * `pyprov policy check`: what a valid policy means, in words, plus notes on
 * weak spots (publishers not pinned by ID, an unreachable L3 minimum,
 * expired exceptions).
 */
import type { EffectiveRule, LoadedPolicy } from "./load.js";
import { exceptionsFor, resolveRule } from "./match.js";
import { describePolicyPublisher } from "./publisher.js";
import type { PolicyContinuity, PolicyPublisher, PolicyRule } from "./schema.js";

export interface PolicyExplanation {
  lines: string[];
  notes: string[];
}

function publishersText(publishers: PolicyPublisher[] | undefined, inherited: boolean): string[] {
  const from = inherited ? " (from default)" : "";
  if (publishers === undefined || publishers.length === 0) {
    return [`publishers: any verified publisher${from}`];
  }
  return [
    `publishers${from}, any one of:`,
    ...publishers.map((p) => `  - ${describePolicyPublisher(p)}`),
  ];
}

function ruleText(rule: PolicyRule | undefined, defaults: EffectiveRule): string[] {
  const req = rule?.require_attestation ?? defaults.require_attestation;
  const reqFrom = rule?.require_attestation === undefined ? " (from default)" : "";
  const min = rule?.min_slsa_level ?? defaults.min_slsa_level;
  const minFrom = rule?.min_slsa_level === undefined ? " (from default)" : "";
  return [
    req
      ? `provenance required${reqFrom}`
      : `provenance optional: a file without it is a warning (SLSA L0)${reqFrom}`,
    `minimum SLSA Build level: L${min}${minFrom}`,
    ...publishersText(rule?.publishers ?? defaults.publishers, rule?.publishers === undefined),
  ];
}

/** "continuity (verify --history): allow_changes workflow; lookalike error" */
function continuityText(c: PolicyContinuity | undefined): string[] {
  if (c === undefined) return [];
  const parts = [
    c.allow_changes !== undefined ? `allow_changes ${c.allow_changes.join(", ") || "none"}` : "",
    c.allow_downgrade !== undefined ? `allow_downgrade ${c.allow_downgrade}` : "",
    c.lookalike !== undefined ? `lookalike ${c.lookalike}` : "",
    c.min_project_age_days !== undefined ? `min_project_age_days ${c.min_project_age_days}` : "",
  ].filter((p) => p !== "");
  return [`continuity (verify --history): ${parts.join("; ") || "defaults"}`];
}

export function explainPolicy(policy: LoadedPolicy, now: Date): PolicyExplanation {
  const lines: string[] = [];
  const notes: string[] = [];
  lines.push("default (packages no entry names):");
  lines.push(
    ...ruleText(undefined, policy.defaults).map((l) => `  ${l.replace(" (from default)", "")}`),
  );
  lines.push(...continuityText(policy.document.default?.continuity).map((l) => `  ${l}`));
  if (policy.packages.length === 0) {
    lines.push("packages: none (every package gets the default)");
  } else {
    lines.push("packages (an exact name beats a glob; the most specific glob wins):");
    for (const entry of policy.packages) {
      const kind = entry.glob ? "glob" : "exact name";
      const canon = entry.pattern !== entry.key ? `, normalised ${entry.pattern}` : "";
      lines.push(`  ${entry.key} (${kind}${canon}):`);
      lines.push(...ruleText(entry.rule, policy.defaults).map((l) => `    ${l}`));
      lines.push(...continuityText(entry.rule.continuity).map((l) => `    ${l}`));
    }
  }
  if (policy.trustedBuilders.length === 0) {
    lines.push("trusted builders: none (no file can reach SLSA Build L3)");
  } else {
    lines.push("trusted builders (SLSA provenance they sign at a vX.Y.Z tag may earn L3):");
    for (const b of policy.trustedBuilders) lines.push(`  - ${b.id}`);
  }
  if (policy.exceptions.length > 0) {
    lines.push("exceptions:");
    for (const e of policy.exceptions) {
      const active = now.getTime() < e.endsAt.getTime();
      const status = active
        ? `applies until ${e.expires} (inclusive, UTC)`
        : `EXPIRED on ${e.expires}: no longer applies`;
      lines.push(`  - ${e.package}: ${e.reason}; waives ${e.waive.join(", ")}; ${status}`);
      if (!active) notes.push(`exceptions: the exception for ${e.package} expired on ${e.expires}`);
    }
  }

  const pinNotes = (where: string, publishers: PolicyPublisher[] | undefined) => {
    for (const p of publishers ?? []) {
      if (p.kind !== "google" && p.repository_id === undefined) {
        notes.push(
          `${where}: ${p.kind} publisher ${p.repository} pins no repository_id: a renamed repository and a re-registered name (repojacking) cannot be told apart (\`pyprov policy init\` pins IDs)`,
        );
      }
    }
  };
  pinNotes("default", policy.defaults.publishers);
  for (const entry of policy.packages) pinNotes(`packages.${entry.key}`, entry.rule.publishers);
  const needsL3 = [
    policy.defaults.min_slsa_level === 3 ? "default" : undefined,
    ...policy.packages.filter((e) => e.rule.min_slsa_level === 3).map((e) => `packages.${e.key}`),
  ].filter((x) => x !== undefined);
  if (needsL3.length > 0 && policy.trustedBuilders.length === 0) {
    notes.push(
      `${needsL3.join(", ")}: min_slsa_level 3 with no trusted_builders: no file can pass`,
    );
  }
  return { lines, notes };
}

/** What applies to one package: the rule that wins and the exceptions naming it. */
export function explainPackage(policy: LoadedPolicy, name: string, now: Date): string[] {
  const r = resolveRule(policy, name);
  const lines = [`${r.package}: rule ${r.describe}`];
  lines.push(...ruleText(r.entry?.rule, policy.defaults).map((l) => `  ${l}`));
  if (r.ambiguity) lines.push(`  note: ${r.ambiguity}`);
  const { active, expired } = exceptionsFor(policy, name, now);
  for (const e of active) {
    lines.push(`  exception (until ${e.expires}): ${e.reason}; waives ${e.waive.join(", ")}`);
  }
  for (const e of expired) lines.push(`  expired exception (${e.expires}): ${e.reason}`);
  return lines;
}
