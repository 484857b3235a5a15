/**
 * Editing a YAML policy in place for `policy diff --write`.
 *
 * First choice, a text patch: the document is parsed (the `yaml` package's
 * Document API) only to find where things are; changed scalars are replaced
 * in their source ranges, new fields, publishers and packages are inserted
 * after the last line of their collection with its indentation. Everything
 * else, comments and formatting included, stays byte for byte.
 *
 * When the layout is one the patch does not handle (flow collections,
 * a missing `packages`, a key that does not start its line), the document is
 * edited through the Document API and re-serialised: every comment is kept,
 * though some may move to their own line.
 */
import {
  isMap,
  isScalar,
  isSeq,
  parse,
  parseDocument,
  stringify,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from "yaml";
import { PyprovError } from "../errors.js";
import type { PolicyPublisher, PolicyRule } from "./schema.js";

export type EditOp =
  /** a new `packages.<key>` entry */
  | { op: "create"; key: string; rule: PolicyRule }
  /** `publishers` for an entry that had none of its own */
  | { op: "own"; key: string; publishers: PolicyPublisher[] }
  /** one field of `packages.<key>.publishers[index]` (undefined: remove it) */
  | { op: "set"; key: string; index: number; field: string; value: string | undefined }
  | { op: "append"; key: string; publisher: PolicyPublisher };

const PLAIN_SAFE = /^[A-Za-z0-9][A-Za-z0-9._/@+*-]*$/;

/** A scalar as YAML: plain when it reads back as the same string, else double-quoted. */
function scalarText(value: string, plain: boolean): string {
  if (plain && PLAIN_SAFE.test(value) && parse(value, { schema: "core" }) === value) return value;
  return JSON.stringify(value);
}

function block(value: unknown, col: number): string {
  return stringify(value, { lineWidth: 0 })
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => " ".repeat(col) + l)
    .join("\n");
}

interface Patch {
  at: number;
  end: number;
  text: string;
  /** At one position, what goes deeper comes first: a field, an item, a list, an entry. */
  depth: number;
  seq: number;
}

const DEPTH: Record<EditOp["op"], number> = { set: 0, append: 1, own: 2, create: 3 };

/** The text with `ops` applied as patches, or undefined when its layout needs the Document API. */
export function patchYaml(text: string, ops: readonly EditOp[]): string | undefined {
  const doc = parseDocument(text, { schema: "core", uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  const patches: Patch[] = [];
  let depth = 0;
  const put = (at: number, end: number, t: string): void => {
    patches.push({ at, end, text: t, depth, seq: patches.length });
  };
  const column = (offset: number): number => offset - (text.lastIndexOf("\n", offset - 1) + 1);
  const lineEnd = (node: Node | null | undefined): number | undefined => {
    const r = node?.range;
    if (!r) return undefined;
    if (text[r[1] - 1] === "\n") return r[1] - 1;
    const nl = text.indexOf("\n", r[1]);
    return nl < 0 ? text.length : nl;
  };
  const blockMap = (node: unknown): YAMLMap | undefined =>
    isMap(node) && !node.flow && node.items.length > 0 ? node : undefined;
  const keyStart = (pair: Pair | undefined): number | undefined =>
    (pair?.key as Node | undefined)?.range?.[0];
  const lastLine = (map: YAMLMap): number | undefined => {
    const last = map.items.at(-1) as Pair<Node, Node | null> | undefined;
    return lineEnd(last?.value ?? last?.key);
  };
  /** Insert `value` (rendered by `render(col)`) after the last pair of a block map. */
  const insertInto = (map: YAMLMap | undefined, render: (col: number) => string): boolean => {
    const start = map ? keyStart(map.items[0]) : undefined;
    const at = map ? lastLine(map) : undefined;
    if (start === undefined || at === undefined) return false;
    put(at, at, `\n${render(column(start))}`);
    return true;
  };
  const packages = blockMap(doc.get("packages", true));
  const entry = (key: string) => blockMap(packages?.get(key, true));
  const publishers = (key: string) => {
    const seq = entry(key)?.get("publishers", true);
    return isSeq(seq) && !seq.flow && seq.items.length > 0 ? seq : undefined;
  };
  for (const op of ops) {
    let ok = false;
    depth = DEPTH[op.op];
    if (op.op === "create") {
      ok = insertInto(packages, (col) => block({ [op.key]: op.rule }, col));
    } else if (op.op === "own") {
      ok = insertInto(entry(op.key), (col) => block({ publishers: op.publishers }, col));
    } else if (op.op === "append") {
      const seq = publishers(op.key);
      const first = seq?.items[0] as Node | undefined;
      const at = lineEnd(seq?.items.at(-1) as Node | undefined);
      const start = first?.range?.[0];
      if (seq && start !== undefined && at !== undefined) {
        const lineStart = text.lastIndexOf("\n", start - 1) + 1;
        const dash = text.indexOf("-", lineStart);
        if (dash >= 0 && dash < start) {
          put(at, at, `\n${block([op.publisher], dash - lineStart)}`);
          ok = true;
        }
      }
    } else {
      const pub = blockMap(publishers(op.key)?.items[op.index]);
      const pair = pub?.items.find((p) => isScalar(p.key) && String(p.key.value) === op.field) as
        Pair<Node, Node | null> | undefined;
      if (pub && op.value === undefined) {
        const start = keyStart(pair);
        const end = lineEnd(pair?.value ?? pair?.key);
        if (!pair) ok = true;
        else if (start !== undefined && end !== undefined) {
          const lineStart = text.lastIndexOf("\n", start - 1) + 1;
          if (text.slice(lineStart, start).trim() === "") {
            put(lineStart, Math.min(end + 1, text.length), "");
            ok = true;
          }
        }
      } else if (pub && op.value !== undefined) {
        const v = pair?.value;
        if (isScalar(v) && v.range) {
          put(v.range[0], v.range[1], scalarText(op.value, v.type === "PLAIN"));
          ok = true;
        } else if (!pair) {
          const value = op.value;
          ok = insertInto(
            pub,
            (col) => `${" ".repeat(col)}${op.field}: ${scalarText(value, true)}`,
          );
        }
      }
    }
    if (!ok) return undefined;
  }
  patches.sort((a, b) => a.at - b.at || a.depth - b.depth || a.seq - b.seq);
  for (let i = 1; i < patches.length; i++) {
    const prev = patches[i - 1]!;
    const next = patches[i]!;
    if (next.at < prev.end || (next.at === prev.at && prev.end > prev.at)) return undefined;
  }
  let out = text;
  for (const p of [...patches].reverse()) out = out.slice(0, p.at) + p.text + out.slice(p.end);
  return out;
}

/** The same edits through the Document API (comments kept; the layout re-serialised). */
export function editYamlDocument(text: string, ops: readonly EditOp[]): string {
  const doc: Document.Parsed = parseDocument(text, {
    schema: "core",
    uniqueKeys: true,
    strict: true,
  });
  const map = (node: unknown, where: string): YAMLMap => {
    if (!isMap(node)) throw new PyprovError("INTERNAL", `${where} is not a mapping`);
    node.flow = false;
    return node;
  };
  let packagesNode = doc.get("packages", true);
  if (!isMap(packagesNode)) {
    packagesNode = doc.createNode({});
    doc.set("packages", packagesNode);
  }
  const packages = map(packagesNode, "packages");
  for (const op of ops) {
    if (op.op === "create") {
      packages.set(op.key, doc.createNode(op.rule));
      continue;
    }
    const entry = map(packages.get(op.key, true), `packages.${op.key}`);
    if (op.op === "own") {
      entry.set("publishers", doc.createNode(op.publishers));
      continue;
    }
    const seq = entry.get("publishers", true);
    if (op.op === "append") {
      if (isSeq(seq)) {
        seq.flow = false;
        seq.items.push(doc.createNode(op.publisher));
      } else entry.set("publishers", doc.createNode([op.publisher]));
      continue;
    }
    const pub = map(isSeq(seq) ? seq.items[op.index] : undefined, `publishers[${op.index}]`);
    if (op.value === undefined) pub.delete(op.field);
    else {
      const existing = pub.get(op.field, true);
      // In place, the scalar keeps its comment.
      if (isScalar(existing)) existing.value = op.value;
      else pub.set(op.field, op.value);
    }
  }
  return doc.toString({ lineWidth: 0 });
}
