/**
 * `pyprov policy diff --write`: apply the policy's differences in place.
 *
 * - YAML is patched where things are (diff-yaml.ts): everything untouched,
 *   comments included, stays byte for byte. JSON is re-serialised (2-space
 *   indent; it has no comments).
 * - Only exact `packages` entries are ever edited. A package pinned by a glob
 *   or by `default` gets its own entry: a copy of that rule (so nothing about
 *   it changes but its pins), then the changes.
 * - Pins are added or updated, never removed; an observed publisher without
 *   an environment removes the pinned `environment` (the pin would reject it).
 * - The result is validated as a policy before anything is written, then
 *   written atomically (temp file + rename, the file's mode kept), and only if
 *   the file still has the bytes that were compared.
 */
import { randomBytes } from "node:crypto";
import {
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { PyprovError, describeError } from "../errors.js";
import type { DiffEntry } from "./diff.js";
import { editYamlDocument, patchYaml, type EditOp } from "./diff-yaml.js";
import { parsePolicy, type LoadedPolicy } from "./load.js";
import { resolveRule } from "./match.js";
import type { PolicyPublisher } from "./schema.js";

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function setField(p: PolicyPublisher, field: string, value: string | undefined): void {
  const rec = p as unknown as Record<string, unknown>;
  if (value === undefined) delete rec[field];
  else rec[field] = value;
}

/** The edits that apply `entries` (only exact `packages` entries are ever edited). */
export function planEdits(policy: LoadedPolicy, entries: readonly DiffEntry[]): EditOp[] {
  const ops: EditOp[] = [];
  for (const pkg of [...new Set(entries.map((e) => e.package))]) {
    const r = resolveRule(policy, pkg);
    const own = r.entry && !r.entry.glob && r.entry.rule.publishers !== undefined;
    const key = r.entry && !r.entry.glob ? r.entry.key : pkg;
    const final = clone(r.rule.publishers);
    const edits: EditOp[] = [];
    for (const e of entries.filter((x) => x.package === pkg)) {
      if ((e.kind === "changed" || e.kind === "unpinned-ids") && e.index !== undefined) {
        for (const c of e.changes) {
          edits.push({ op: "set", key, index: e.index, field: c.field, value: c.observed });
          setField(final[e.index]!, c.field, c.observed);
        }
      } else if ((e.kind === "new-package" || e.kind === "new-publisher") && e.observed) {
        edits.push({ op: "append", key, publisher: clone(e.observed) });
        final.push(clone(e.observed));
      }
    }
    if (own) ops.push(...edits);
    else if (r.entry && !r.entry.glob) ops.push({ op: "own", key, publishers: final });
    // An entry of its own: the same rule as before (a glob's, or the default's) but for its pins.
    else
      ops.push({ op: "create", key, rule: { ...clone(r.entry?.rule ?? {}), publishers: final } });
  }
  return ops;
}

type Json = Record<string, unknown>;

/** The edits applied to the policy's plain value. */
function applyToValue(value: Json, ops: readonly EditOp[]): Json {
  const out = clone(value);
  const packages = (out.packages ??= {}) as Record<string, Json>;
  for (const op of ops) {
    if (op.op === "create") packages[op.key] = clone(op.rule) as Json;
    else if (op.op === "own") packages[op.key]!.publishers = clone(op.publishers);
    else {
      const list = (packages[op.key]!.publishers ??= []) as PolicyPublisher[];
      if (op.op === "append") list.push(clone(op.publisher));
      else setField(list[op.index]!, op.field, op.value);
    }
  }
  return out;
}

function means(yaml: string, expected: Json): boolean {
  try {
    return isDeepStrictEqual(parse(yaml, { schema: "core", uniqueKeys: true }), expected);
  } catch {
    return false;
  }
}

/** The policy text with every writable difference applied, and those differences. */
export function applyPolicyDiff(
  policy: LoadedPolicy,
  text: string,
  entries: readonly DiffEntry[],
): { text: string; applied: DiffEntry[] } {
  const writable = entries.filter((e) => e.source === "policy" && e.kind !== "not-observed");
  if (writable.length === 0) return { text, applied: [] };
  const ops = planEdits(policy, writable);
  let out: string;
  if (policy.format === "yaml") {
    const expected = applyToValue(parse(text, { schema: "core" }) as Json, ops);
    const patched = patchYaml(text, ops);
    // The patch must mean exactly what the edits mean; otherwise the Document API does it.
    out = patched !== undefined && means(patched, expected) ? patched : editYamlDocument(text, ops);
  } else {
    out = `${JSON.stringify(applyToValue(JSON.parse(text) as Json, ops), null, 2)}\n`;
  }
  try {
    parsePolicy(Buffer.from(out), policy.source);
  } catch (err) {
    throw new PyprovError(
      "INTERNAL",
      `the updated policy would not be valid (${describeError(err)}); nothing was written`,
      { source: policy.source },
    );
  }
  return { text: out, applied: writable };
}

/**
 * Replace the policy file atomically, only if it still holds `original`
 * (the bytes that were compared). Throws, leaving the file as it was.
 */
export function writePolicyInPlace(path: string, original: Buffer, text: string): void {
  let target: string;
  let mode: number;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o777;
    if (!readFileSync(target).equals(original)) {
      throw new PyprovError(
        "INPUT_UNREADABLE",
        "the policy file changed while it was being compared; nothing was written (run again)",
        { source: path },
      );
    }
  } catch (err) {
    if (err instanceof PyprovError) throw err;
    throw new PyprovError("INPUT_UNREADABLE", `cannot read the policy: ${describeError(err)}`, {
      source: path,
    });
  }
  const tmp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
  try {
    writeFileSync(tmp, text, { flag: "wx", mode });
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw new PyprovError("INPUT_UNREADABLE", `cannot write the policy: ${describeError(err)}`, {
      source: path,
    });
  }
}
