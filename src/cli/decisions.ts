/**
 * `pyprov decisions [--state URL] [--since TIME] [--project NAME]
 * [--verdict V] [--format table|json|jsonl|csv]`: the decision log, for
 * people (table) and for SIEM export (json: one array, schema in
 * docs/schemas/pyprov-decisions-v1.schema.json; jsonl: one row per line;
 * csv: RFC 4180 with a header). Rows come in the order they were logged.
 */
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { canonicalizeName, isValidProjectName } from "../pypi/names.js";
import type { DecisionFilter, DecisionRow, DecisionVerdict } from "../state/types.js";
import { safeText } from "../util/text.js";
import { ENGLISH } from "../util/zod.js";
import type { Io } from "./main.js";

export const DECISION_FORMATS = ["table", "json", "jsonl", "csv"] as const;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const RFC3339 = z.iso.datetime({ offset: true });

/**
 * `--since`: an RFC 3339 time with its zone, a date (midnight UTC), or a
 * duration back from `now` (30m, 24h, 7d).
 */
export function parseSince(text: string, now: Date = new Date()): string {
  const t = text.trim();
  const usage = () =>
    new PyprovError(
      "USAGE",
      `--since must be an RFC 3339 time (2026-12-01T10:00:00Z), a date (2026-12-01) or a duration back from now (30m, 24h, 7d), not ${JSON.stringify(text)}`,
    );
  const rel = /^(\d{1,6})([smhd])$/.exec(t);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNITS[rel[2]!]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const d = new Date(`${t}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t) throw usage();
    return d.toISOString();
  }
  if (!z.safeParse(RFC3339, t, ENGLISH).success) throw usage();
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) throw usage();
  return d.toISOString();
}

export function decisionFilter(opts: Record<string, unknown>, now?: Date): DecisionFilter {
  const filter: DecisionFilter = {};
  const since = str(opts.since);
  if (since !== undefined) filter.since = parseSince(since, now);
  const project = str(opts.project);
  if (project !== undefined) {
    if (!isValidProjectName(project)) {
      throw new PyprovError(
        "USAGE",
        `--project: not a valid project name: ${JSON.stringify(project)}`,
      );
    }
    filter.project = canonicalizeName(project);
  }
  const verdict = str(opts.verdict);
  if (verdict !== undefined) filter.verdict = verdict as DecisionVerdict; // commander's choices checked it
  return filter;
}

// --- formats ------------------------------------------------------------------

const COLUMNS = [
  "id",
  "time",
  "node",
  "client",
  "project",
  "filename",
  "sha256",
  "verdict",
  "reasons",
  "policy_sha256",
  "mode",
] as const satisfies readonly (keyof DecisionRow)[];

/** The row as printed: fields in the schema's order. */
function ordered(r: DecisionRow): DecisionRow {
  return Object.fromEntries(COLUMNS.map((c) => [c, r[c]])) as unknown as DecisionRow;
}

function csvCell(value: string): string {
  // A cell a spreadsheet would run as a formula is prefixed with '.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderCsv(rows: DecisionRow[]): string {
  const lines = [COLUMNS.join(",")];
  for (const r of rows) {
    lines.push(
      COLUMNS.map((c) => csvCell(c === "reasons" ? JSON.stringify(r.reasons) : String(r[c]))).join(
        ",",
      ),
    );
  }
  return lines.join("\r\n") + "\r\n";
}

const TABLE = ["TIME", "NODE", "CLIENT", "PROJECT", "FILENAME", "VERDICT", "MODE", "REASONS"];

export function renderTable(rows: DecisionRow[]): string {
  if (rows.length === 0) return "no decisions\n";
  const cells = rows.map((r) =>
    [
      r.time,
      r.node,
      r.client,
      r.project,
      r.filename,
      r.verdict,
      r.mode,
      r.reasons.join("; ") || "-",
    ].map((c) => safeText(c)),
  );
  const widths = TABLE.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(TABLE), ...cells.map(line)].join("\n") + "\n";
}

export function renderDecisions(
  rows: DecisionRow[],
  format: (typeof DECISION_FORMATS)[number],
): string {
  switch (format) {
    case "json":
      return JSON.stringify(rows.map(ordered), null, 2) + "\n";
    case "jsonl":
      return rows.map((r) => JSON.stringify(ordered(r)) + "\n").join("");
    case "csv":
      return renderCsv(rows);
    case "table":
      return renderTable(rows);
  }
}

export async function runDecisions(opts: Record<string, unknown>, io: Io): Promise<number> {
  const filter = decisionFilter(opts);
  const format = (str(opts.format) ?? "table") as (typeof DECISION_FORMATS)[number];
  const { openState } = await import("../state/open.js");
  // Reading never creates or migrates a store.
  const store = await openState(str(opts.state), { migrate: false, env: io.env });
  try {
    io.stdout(renderDecisions(await store.decisions(filter), format));
  } finally {
    await store.close();
  }
  return 0;
}
