/**
 * Loading a policy file (YAML or JSON): size and nesting caps, strict
 * validation, and one-line errors that name the file, the path inside it
 * (and for YAML the line) and what is wrong. The result is normalised:
 * defaults filled in, package names and globs PEP 503-normalised, exception
 * expiry dates resolved, and the sha256 of the file's bytes kept for reports.
 */
import { createHash } from "node:crypto";
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from "yaml";
import type * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { canonicalizeName } from "../pypi/names.js";
import { parseJsonText, readInputFile } from "../util/read-input.js";
import { ENGLISH, formatPath } from "../util/zod.js";
import { isGlob, literalLength } from "./glob.js";
import {
  MAX_POLICY_BYTES,
  PolicySchema,
  WAIVABLE,
  parseDate,
  type PolicyDocument,
  type PolicyPublisher,
  type PolicyRule,
  type TrustedBuilder,
  type Waivable,
} from "./schema.js";

/** Deepest nesting a policy may have (a real one needs 5). */
export const MAX_POLICY_DEPTH = 32;
/** Most YAML alias expansions (billion-laughs guard). */
export const MAX_YAML_ALIASES = 64;

/** The rule that applies to a package once defaults are filled in. */
export interface EffectiveRule {
  require_attestation: boolean;
  min_slsa_level: number;
  /** Empty: any verified publisher. */
  publishers: PolicyPublisher[];
}

export const DEFAULT_RULE: EffectiveRule = {
  require_attestation: true,
  min_slsa_level: 1,
  publishers: [],
};

export interface PackageEntry {
  /** The key as written in the file. */
  key: string;
  /** PEP 503-normalised (globs too: their literal parts). */
  pattern: string;
  glob: boolean;
  /** Literal characters of the pattern: the most specific glob wins. */
  specificity: number;
  /** Position in the file (ties between equally specific globs go to the first). */
  index: number;
  rule: PolicyRule;
}

export interface ExceptionEntry {
  index: number;
  /** As written. */
  package: string;
  pattern: string;
  glob: boolean;
  reason: string;
  /** YYYY-MM-DD: the last day it applies. */
  expires: string;
  /** The first instant it no longer applies (midnight UTC after `expires`). */
  endsAt: Date;
  waive: Waivable[];
}

export interface LoadedPolicy {
  /** The path it was read from (as given). */
  source: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  format: "yaml" | "json";
  document: PolicyDocument;
  defaults: EffectiveRule;
  packages: PackageEntry[];
  trustedBuilders: TrustedBuilder[];
  exceptions: ExceptionEntry[];
}

/** Read and validate a policy file. Throws PyprovError (exit 2) naming the file. */
export function loadPolicyFile(path: string): LoadedPolicy {
  const raw = readInputFile(path, MAX_POLICY_BYTES);
  return parsePolicy(raw, path);
}

/** PEP 503 normalisation of a name or glob (wildcards are kept). */
export function canonicalPattern(pattern: string): string {
  return canonicalizeName(pattern);
}

function malformed(source: string, message: string): PyprovError {
  return new PyprovError("INPUT_MALFORMED", message, { source });
}

/** Validate policy bytes; `source` names the file in errors and decides the format. */
export function parsePolicy(raw: Buffer, source: string): LoadedPolicy {
  if (raw.length > MAX_POLICY_BYTES) {
    throw new PyprovError(
      "INPUT_TOO_LARGE",
      `policy is ${raw.length} bytes, larger than the limit of ${MAX_POLICY_BYTES} bytes`,
      { source },
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw malformed(source, "policy is not valid UTF-8 text");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const format = policyFormat(source, text);

  let value: unknown;
  let locate: (path: readonly PropertyKey[], key?: string) => number | undefined = () => undefined;
  if (format === "json") {
    value = parseJsonText(text, source, { uniqueKeys: true });
  } else {
    const parsed = parseYaml(text, source);
    value = parsed.value;
    locate = parsed.locate;
  }
  if (depthOf(value, MAX_POLICY_DEPTH + 1) > MAX_POLICY_DEPTH) {
    throw malformed(source, `policy is nested deeper than ${MAX_POLICY_DEPTH} levels`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed(
      source,
      `invalid policy: expected a mapping with "version: 1" at the top level, found ${describeValue(value)}`,
    );
  }
  const result = PolicySchema.safeParse(value, ENGLISH);
  if (!result.success) throw malformed(source, describePolicyError(result.error, value, locate));
  return normalise(result.data, raw, source, format, locate);
}

function policyFormat(source: string, text: string): "yaml" | "json" {
  const lower = source.toLowerCase();
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

function parseYaml(
  text: string,
  source: string,
): { value: unknown; locate: (path: readonly PropertyKey[], key?: string) => number | undefined } {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      schema: "core",
      uniqueKeys: true,
      strict: true,
      prettyErrors: false,
      lineCounter,
    });
  } catch (err) {
    throw yamlFailure(source, err);
  }
  const error = doc.errors[0];
  if (error) {
    const line = lineCounter.linePos(error.pos[0]).line;
    const message = error.message.split("\n")[0] ?? "invalid YAML";
    throw malformed(source, `invalid YAML (line ${line}): ${message}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw yamlFailure(source, err);
  }
  const locate = (path: readonly PropertyKey[], key?: string): number | undefined => {
    const offset = yamlOffset(doc, path, key);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return { value, locate };
}

function yamlFailure(source: string, err: unknown): PyprovError {
  if (err instanceof RangeError) {
    return malformed(source, `policy is nested deeper than ${MAX_POLICY_DEPTH} levels`);
  }
  const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
  return malformed(source, `invalid YAML: ${msg}`);
}

/** Byte offset of the node at `path` (or of key `key` inside it), else of its nearest ancestor. */
function yamlOffset(doc: Document.Parsed, path: readonly PropertyKey[], key?: string) {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  const steps: PropertyKey[] = key === undefined ? [...path] : [...path, key];
  for (const step of steps) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step),
      );
      if (!pair) break;
      if (step === key && steps.at(-1) === step) return rangeStart(pair.key) ?? offset;
      next = pair.value;
      offset = rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof step === "number") {
      next = node.items[step];
    } else {
      break;
    }
    offset = rangeStart(next) ?? offset;
    node = next;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === "object" && "range" in node) {
    const range = (node as { range?: unknown }).range;
    if (Array.isArray(range) && typeof range[0] === "number") return range[0];
  }
  return undefined;
}

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || typeof value !== "object" || value === null) return depth;
  let max = depth + 1;
  for (const v of Object.values(value)) {
    max = Math.max(max, depthOf(v, limit, depth + 1));
    if (max > limit) break;
  }
  return max;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "an empty document";
  if (Array.isArray(v)) return "a list";
  return `a ${typeof v}`;
}

/** Every key the policy model knows, for "did you mean" hints. */
const KNOWN_KEYS = [
  "$schema",
  "version",
  "default",
  "packages",
  "trusted_builders",
  "exceptions",
  "require_attestation",
  "min_slsa_level",
  "publishers",
  "kind",
  "repository",
  "repository_id",
  "owner_id",
  "workflow",
  "workflow_filepath",
  "environment",
  "ref",
  "runner",
  "triggers",
  "email",
  "id",
  "note",
  "package",
  "reason",
  "expires",
  "waive",
  "continuity",
  "allow_changes",
  "allow_downgrade",
  "lookalike",
  "min_project_age_days",
];

function suggestion(key: string): string {
  let best: string | undefined;
  // Close enough to be a typo: 1 edit for short keys, up to 3 for long ones.
  let bestDistance = Math.max(1, Math.min(3, Math.floor(key.length / 3))) + 1;
  for (const k of KNOWN_KEYS) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best === undefined || best === key ? "" : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The first problem, as "invalid policy at <path> (line N): <what>". */
export function describePolicyError(
  err: z.core.$ZodError,
  input: unknown,
  locate: (path: readonly PropertyKey[], key?: string) => number | undefined = () => undefined,
): string {
  // An unknown key is the likeliest typo, and explains the "required" issue it causes.
  const issue = err.issues.find((i) => i.code === "unrecognized_keys") ?? err.issues[0];
  if (!issue) return "invalid policy";
  let path: PropertyKey[] = [...issue.path];
  let message = issue.message;
  let line: number | undefined;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    line = locate(path, key);
    path = [...path, key];
    message =
      issue.keys.length > 1
        ? `unknown fields ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}${suggestion(key)}`
        : `unknown field ${JSON.stringify(key)}${suggestion(key)}`;
  } else {
    if (issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options)) {
      // A discriminated union names the discriminator twice in its path.
      if (path.length >= 2 && path.at(-1) === path.at(-2)) path = path.slice(0, -1);
      message = `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}`;
    } else if (issue.code === "invalid_key") {
      message = `${JSON.stringify(String(path.at(-1)))} is not a project name or a glob such as acme-*`;
    } else if (isAbsent(input, path)) {
      message = "is required";
    }
    line = locate(path);
  }
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more problem(s))` : "";
  const where = `${formatPath(path)}${line !== undefined ? ` (line ${line})` : ""}`;
  return `invalid policy at ${where}: ${message}${more}`;
}

/** Whether the value at `path` is absent from its (present) parent object. */
function isAbsent(input: unknown, path: readonly PropertyKey[]): boolean {
  let node: unknown = input;
  for (const step of path.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return false;
    node = (node as Record<PropertyKey, unknown>)[step];
  }
  const last = path.at(-1);
  return (
    last !== undefined &&
    typeof node === "object" &&
    node !== null &&
    !Object.prototype.hasOwnProperty.call(node, last)
  );
}

function normalise(
  document: PolicyDocument,
  raw: Buffer,
  source: string,
  format: "yaml" | "json",
  locate: (path: readonly PropertyKey[], key?: string) => number | undefined,
): LoadedPolicy {
  const fail = (path: PropertyKey[], message: string): never => {
    const line = locate(path);
    throw malformed(
      source,
      `invalid policy at ${formatPath(path)}${line !== undefined ? ` (line ${line})` : ""}: ${message}`,
    );
  };
  const d = document.default ?? {};
  const defaults: EffectiveRule = {
    require_attestation: d.require_attestation ?? DEFAULT_RULE.require_attestation,
    min_slsa_level: d.min_slsa_level ?? DEFAULT_RULE.min_slsa_level,
    publishers: d.publishers ?? DEFAULT_RULE.publishers,
  };
  const packages: PackageEntry[] = [];
  const seen = new Map<string, string>();
  Object.entries(document.packages ?? {}).forEach(([key, rule], index) => {
    const pattern = canonicalPattern(key);
    const other = seen.get(pattern);
    if (other !== undefined) {
      fail(
        ["packages", key],
        `"${key}" and "${other}" name the same project after normalisation ("${pattern}")`,
      );
    }
    seen.set(pattern, key);
    const glob = isGlob(pattern);
    packages.push({
      key,
      pattern,
      glob,
      specificity: literalLength(pattern),
      index,
      rule,
    });
  });
  const exceptions = (document.exceptions ?? []).map((e, index): ExceptionEntry => {
    const day = parseDate(e.expires)!;
    const pattern = canonicalPattern(e.package);
    return {
      index,
      package: e.package,
      pattern,
      glob: isGlob(pattern),
      reason: e.reason,
      expires: e.expires,
      endsAt: new Date(day.getTime() + 24 * 60 * 60 * 1000),
      waive: e.waive ?? [...WAIVABLE],
    };
  });
  return {
    source,
    sha256: createHash("sha256").update(raw).digest("hex"),
    format,
    document,
    defaults,
    packages,
    trustedBuilders: document.trusted_builders ?? [],
    exceptions,
  };
}
