/**
 * `pyprov policy diff`: every difference between the publishers observed now
 * (verified certificates of the files a run verified) and those pinned, in
 * the policy or in a PEP 751 lock's `attestation-identities`, for review in
 * a pull request. `--write` applies the policy's differences (diff-write.ts).
 *
 * Observed and pinned publishers are paired by kind and repository ID first
 * (a renamed or transferred repository keeps its ID), then by repository
 * name (or e-mail). A pair's differences are listed field by field
 * (repository names, and GitHub environment names, compared as the
 * platform compares them: a difference in case is none); a
 * pinned repository whose name now has another ID is flagged as a possible
 * re-registration. Nothing the user pinned is ever reported as "to remove":
 * a pin not observed in this run is listed, and kept. A package whose own
 * entry says `publishers: []` (any publisher) is left alone.
 */
import type { FulcioClaims } from "../identity/certificate.js";
import { authenticAttestations } from "../history/identity.js";
import { sameEnvironment, sameRepositoryPath } from "../identity/platform.js";
import type { AttestationIdentity } from "../inputs/types.js";
import { canonicalizeName } from "../pypi/names.js";
import type { TargetReport } from "../verify/types.js";
import { packageOf } from "./apply.js";
import { globMatch } from "./glob.js";
import { publisherFromCertificate } from "./init.js";
import type { LoadedPolicy } from "./load.js";
import { resolveRule } from "./match.js";
import { describePolicyPublisher } from "./publisher.js";
import type { PolicyPublisher } from "./schema.js";

/** A publisher observed signing a package's files in this run. */
export interface Observation {
  publisher: PolicyPublisher;
  /** The raw ref (.14), to test against pinned ref globs. */
  ref: string | undefined;
  files: string[];
}

export interface FieldChange {
  field: string;
  /** undefined: not pinned. */
  pinned: string | undefined;
  /** undefined: the certificate has none (e.g. no environment). */
  observed: string | undefined;
}

export type DiffKind =
  /** no rule pins any publisher for the package */
  | "new-package"
  /** the rule pins publishers, none of them this one */
  | "new-publisher"
  /** a pinned publisher's fields differ from what signs now */
  | "changed"
  /** only repository_id / owner_id are missing from the pin */
  | "unpinned-ids"
  /** pinned, but not seen in this run (kept) */
  | "not-observed";

export interface DiffEntry {
  package: string;
  kind: DiffKind;
  source: "policy" | "lock";
  /** The pinning rule ("packages.foo", "packages.acme-* (glob)", "default") or lock entry. */
  where: string;
  /** Position of the pinned publisher in that rule's list (changed, unpinned-ids, not-observed). */
  index?: number;
  pinned?: PolicyPublisher;
  observed?: PolicyPublisher;
  changes: FieldChange[];
  /** renamed / transferred / possible re-registration. */
  note?: string;
  message: string;
}

/** Whether an entry is a difference (not-observed is information). */
export const isDifference = (e: DiffEntry): boolean => e.kind !== "not-observed";

/** Publishers of every attested file, by canonical package name. */
export function observe(results: readonly TargetReport[]): Map<string, Observation[]> {
  const out = new Map<string, Observation[]>();
  for (const r of results) {
    const name = packageOf(r);
    if (name === undefined) continue;
    for (const a of authenticAttestations(r)) {
      const p = publisherFromCertificate(a.claims, a.san);
      if (!p.ok) continue;
      const list = out.get(name) ?? [];
      const key = JSON.stringify(p.publisher);
      const seen = list.find((o) => JSON.stringify(o.publisher) === key);
      if (seen) {
        if (!seen.files.includes(r.target.filename)) seen.files.push(r.target.filename);
      } else {
        list.push({ publisher: p.publisher, ref: refOf(a.claims), files: [r.target.filename] });
      }
      out.set(name, list);
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function refOf(claims: FulcioClaims): string | undefined {
  return claims.sourceRepositoryRef;
}

const field = (p: PolicyPublisher, f: string): string | undefined => {
  const v = (p as Record<string, unknown>)[f];
  return typeof v === "string" ? v : undefined;
};

const workflowFile = (w: string | undefined): string | undefined =>
  w === undefined || w.includes("/") ? w : `.github/workflows/${w}`;

/** The pinned publisher `o` continues: same kind and repository ID, else same name or e-mail. */
export function correspond(pins: readonly PolicyPublisher[], o: PolicyPublisher): number {
  const byId = pins.findIndex(
    (p) =>
      p.kind === o.kind &&
      p.kind !== "google" &&
      o.kind !== "google" &&
      p.repository_id !== undefined &&
      p.repository_id === o.repository_id,
  );
  if (byId >= 0) return byId;
  return pins.findIndex((p) =>
    p.kind === "google" || o.kind === "google"
      ? p.kind === o.kind && field(p, "email") === field(o, "email")
      : p.kind === o.kind && sameRepositoryPath(p.repository, o.repository),
  );
}

const COMPARED = [
  "repository",
  "repository_id",
  "owner_id",
  "workflow",
  "workflow_filepath",
  "environment",
  "ref",
  "runner",
];

/** Field differences of a pinned publisher from an observed one (unpinned IDs included). */
export function fieldChanges(p: PolicyPublisher, o: Observation, ids = true): FieldChange[] {
  if (p.kind === "google") return [];
  const out: FieldChange[] = [];
  for (const f of COMPARED) {
    const pinned = field(p, f);
    const observed = field(o.publisher, f);
    if (pinned === undefined) {
      if (ids && (f === "repository_id" || f === "owner_id") && observed !== undefined) {
        out.push({ field: f, pinned, observed });
      }
      continue;
    }
    if (f === "workflow" && workflowFile(pinned) === workflowFile(observed)) continue;
    if (f === "ref" && o.ref !== undefined && globMatch(pinned, o.ref)) continue;
    if (f === "repository" && observed !== undefined && sameRepositoryPath(pinned, observed))
      continue;
    if (f === "environment" && observed !== undefined && sameEnvironment(p.kind, pinned, observed))
      continue;
    if (pinned !== observed) out.push({ field: f, pinned, observed });
  }
  return out;
}

function noteFor(
  p: PolicyPublisher,
  o: PolicyPublisher,
  changes: FieldChange[],
): string | undefined {
  if (p.kind === "google" || o.kind === "google") return undefined;
  const changed = new Set(changes.filter((c) => c.pinned !== undefined).map((c) => c.field));
  const notes: string[] = [];
  if (changed.has("repository_id") && !changed.has("repository")) {
    notes.push(
      `POSSIBLE RE-REGISTRATION: ${p.repository} now has repository ID ${o.repository_id ?? "(none)"}, not the pinned ${p.repository_id ?? "(none)"}; review before writing`,
    );
  } else if (changed.has("owner_id") && !changed.has("repository_id")) {
    notes.push(`transferred: repository ID ${o.repository_id ?? "(none)"} has a new owner ID`);
  }
  if (changed.has("repository") && !changed.has("repository_id") && p.repository_id !== undefined) {
    notes.push(`renamed: same repository ID ${p.repository_id}`);
  }
  return notes.length > 0 ? notes.join("; ") : undefined;
}

/** Compare observed publishers with a list of pins; `where` names the list. */
function compareList(
  pkg: string,
  pins: readonly PolicyPublisher[],
  observed: readonly Observation[],
  where: string,
  source: "policy" | "lock",
  unpinnedKind: "new-package" | "new-publisher",
): DiffEntry[] {
  const out: DiffEntry[] = [];
  const matched = new Set<number>();
  for (const o of observed) {
    const i = pins.length > 0 ? correspond(pins, o.publisher) : -1;
    if (i < 0) {
      const kind = pins.length === 0 ? unpinnedKind : "new-publisher";
      out.push({
        package: pkg,
        kind,
        source,
        where,
        observed: o.publisher,
        changes: [],
        message:
          kind === "new-package"
            ? `not pinned (${where}): ${describePolicyPublisher(o.publisher)} signs ${o.files.join(", ")}`
            : `${describePolicyPublisher(o.publisher)} signs ${o.files.join(", ")}, and ${where} does not pin it`,
      });
      continue;
    }
    matched.add(i);
    const pinned = pins[i]!;
    const changes = fieldChanges(pinned, o, source === "policy");
    if (changes.length === 0) continue;
    const idsOnly = changes.every((c) => c.pinned === undefined);
    const note = noteFor(pinned, o.publisher, changes);
    out.push({
      package: pkg,
      kind: idsOnly ? "unpinned-ids" : "changed",
      source,
      where,
      index: i,
      pinned,
      observed: o.publisher,
      changes,
      ...(note !== undefined ? { note } : {}),
      message: `${where}[${i}] ${describePolicyPublisher(pinned)}: ${changes
        .map((c) => `${c.field} ${c.pinned ?? "(not pinned)"} → ${c.observed ?? "(none)"}`)
        .join(", ")}`,
    });
  }
  pins.forEach((p, i) => {
    if (matched.has(i)) return;
    out.push({
      package: pkg,
      kind: "not-observed",
      source,
      where,
      index: i,
      pinned: p,
      changes: [],
      message: `${where}[${i}] ${describePolicyPublisher(p)} was not observed in this run (kept)`,
    });
  });
  return out;
}

/** Differences between the policy's pins and the observations, package by package. */
export function diffPolicy(
  policy: LoadedPolicy,
  observations: ReadonlyMap<string, Observation[]>,
): DiffEntry[] {
  const out: DiffEntry[] = [];
  for (const [pkg, observed] of observations) {
    const r = resolveRule(policy, pkg);
    // `publishers: []` written for the package itself: any publisher, deliberately.
    if (r.entry && !r.entry.glob && r.entry.rule.publishers?.length === 0) continue;
    const rule = r.entry ? `packages.${r.entry.key}${r.entry.glob ? " (glob)" : ""}` : "default";
    const where =
      r.entry?.rule.publishers !== undefined
        ? `${rule}.publishers`
        : policy.document.default?.publishers !== undefined
          ? "default.publishers"
          : rule;
    const pins = r.rule.publishers;
    // A rule of its own that pins nothing is a package "known" to the policy.
    const unpinnedKind = r.entry && !r.entry.glob ? "new-publisher" : "new-package";
    out.push(...compareList(pkg, pins, observed, where, "policy", unpinnedKind));
  }
  return out;
}

/** A PEP 751 attestation identity as a policy publisher (kinds pyprov knows), else undefined. */
export function lockIdentityPublisher(id: AttestationIdentity): PolicyPublisher | undefined {
  const s = (k: string): string | undefined => {
    const v = id[k];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const kind = String(id.kind).toLowerCase();
  const environment = s("environment");
  const env = environment !== undefined ? { environment } : {};
  const repository = s("repository");
  if (kind === "github" && repository !== undefined) {
    const workflow = s("workflow");
    return { kind, repository, ...(workflow !== undefined ? { workflow } : {}), ...env };
  }
  if (kind === "gitlab" && repository !== undefined) {
    const path = s("workflow_filepath");
    return { kind, repository, ...(path !== undefined ? { workflow_filepath: path } : {}), ...env };
  }
  const email = s("email");
  if (kind === "google" && email !== undefined) return { kind, email };
  return undefined;
}

/** Differences between a lock's attestation-identities and the observations. */
export function diffLock(
  lock: string,
  identities: ReadonlyMap<string, AttestationIdentity[]>,
  observations: ReadonlyMap<string, Observation[]>,
): DiffEntry[] {
  const out: DiffEntry[] = [];
  for (const [name, ids] of identities) {
    const pkg = canonicalizeName(name);
    const pins = ids.map(lockIdentityPublisher).filter((p) => p !== undefined);
    const observed = observations.get(pkg) ?? [];
    if (pins.length === 0 || observed.length === 0) continue;
    out.push(
      ...compareList(
        pkg,
        pins,
        observed,
        `${lock}: ${pkg} attestation-identities`,
        "lock",
        "new-publisher",
      ),
    );
  }
  return out;
}
