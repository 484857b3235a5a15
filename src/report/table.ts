/**
 * The human report as a compact table (`--format table`): one row per file
 * (package, version, file, SLSA level, publisher, verdict), the reason under
 * each row that did not pass cleanly, and a one-line summary at the end.
 * Colour only when asked (the CLI asks on a terminal without NO_COLOR);
 * `quiet` keeps only the rows that failed or warn, and the summary.
 */
import type { SkippedTarget } from "../resolve/targets.js";
import { releaseLevels } from "../slsa/level.js";
import { shortLevel } from "../slsa/types.js";
import { oneLine } from "../util/text.js";
import type { PublisherIdentity, TargetReport } from "../verify/types.js";
import { outcomeOf, packageOf, type Outcome } from "./outcome.js";

export interface TableOptions {
  color: boolean;
  /** Only failures and warnings (and the summary line). */
  quiet?: boolean;
  allowMissing?: boolean;
}

const HEADER = ["PACKAGE", "VERSION", "FILE", "SLSA", "PUBLISHER", "VERDICT"] as const;
/** Longest publisher cell; longer ones end in "…". */
const PUBLISHER_WIDTH = 60;

const COLOURS: Record<Outcome, string> = { pass: "32", warn: "33", fail: "31", error: "31" };
const MARKS: Record<TargetReport["verdict"], string> = {
  verified: "✓",
  failed: "✗",
  missing: "-",
  error: "!",
};

/** "github:acme/pkg release.yml env=pypi": who published, in a few words. */
export function compactPublisher(id: PublisherIdentity | undefined): string {
  if (!id) return "-";
  if (id.kind === "github" || id.kind === "gitlab") {
    const parts = [`${id.kind}:${id.repository ?? "?"}`];
    if (id.workflow) parts.push(id.workflow.split("/").at(-1) ?? id.workflow);
    if (id.environment) parts.push(`env=${id.environment}`);
    if (id.runner && id.runner !== `${id.kind}-hosted`) parts.push(id.runner);
    return parts.join(" ");
  }
  if (id.kind === "google") return `google:${id.identity ?? "?"}`;
  return `${id.issuer ?? "unknown issuer"}:${id.identity ?? "?"}`;
}

function truncate(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`;
}

function verdictText(r: TargetReport, outcome: Outcome): string {
  const code = r.verdict === "error" ? r.error?.code : r.failure?.code;
  const base = `${MARKS[r.verdict]} ${r.verdict}`;
  if (r.verdict === "failed" || r.verdict === "error") return code ? `${base} ${code}` : base;
  if (r.verdict === "missing") return outcome === "warn" ? `${base} (allowed)` : base;
  return r.warnings.length > 0 ? `${base}, ${r.warnings.length} warning(s)` : base;
}

function row(r: TargetReport, outcome: Outcome): string[] {
  const pkg = packageOf(r);
  const level =
    r.slsa && r.slsa.level !== "SLSA_BUILD_LEVEL_UNEVALUATED" ? shortLevel(r.slsa.level) : "-";
  return [
    pkg?.name ?? "-",
    pkg?.version ?? "-",
    r.target.filename || r.target.path || "(unknown)",
    level,
    truncate(compactPublisher(r.identity), PUBLISHER_WIDTH),
    verdictText(r, outcome),
  ].map((cell) => oneLine(cell));
}

function details(r: TargetReport): string[] {
  const lines: string[] = [];
  if (r.verdict === "failed" || r.verdict === "missing") {
    lines.push(oneLine(r.failure?.message ?? "verification failed"));
  } else if (r.verdict === "error") {
    lines.push(`error: ${oneLine(r.error?.message ?? "no verdict")}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${oneLine(w)}`);
  return lines.map((l) => `    ${l}`);
}

/** "2 verified, 1 failed, 1 without provenance": the same words as the line format. */
export function summaryLine(results: readonly TargetReport[]): string {
  const n = (v: TargetReport["verdict"]) => results.filter((r) => r.verdict === v).length;
  const parts = [`${n("verified")} verified`, `${n("failed")} failed`];
  if (n("missing") > 0) parts.push(`${n("missing")} without provenance`);
  if (n("error") > 0) parts.push(`${n("error")} without a verdict`);
  return parts.join(", ");
}

export function renderTable(
  results: readonly TargetReport[],
  opts: TableOptions,
  skipped: readonly SkippedTarget[] = [],
): string {
  const shown = results
    .map((r) => ({ r, outcome: outcomeOf(r, opts.allowMissing === true) }))
    .filter(({ outcome }) => !opts.quiet || outcome !== "pass");
  const rows = shown.map(({ r, outcome }) => ({ cells: row(r, outcome), r, outcome }));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((x) => x.cells[i]!.length)));
  const line = (cells: readonly string[], colour?: string): string =>
    cells
      .map((c, i) => {
        if (i === cells.length - 1) {
          return colour && opts.color ? `\x1b[${colour}m${c}\x1b[0m` : c;
        }
        return c.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();

  const out: string[] = [];
  if (rows.length > 0) out.push(line(HEADER));
  for (const { cells, r, outcome } of rows) {
    out.push(line(cells, COLOURS[outcome]));
    if (outcome !== "pass") out.push(...details(r));
  }
  if (!opts.quiet) {
    for (const s of skipped) {
      const where = s.origin ? ` (${s.origin.file}:${s.origin.line})` : "";
      out.push(oneLine(`- ${s.name}  skipped: ${s.reason}${where}`));
    }
  }
  out.push(summaryLine(results));
  if (!opts.quiet) {
    for (const rel of releaseLevels(results)) {
      if (rel.files < 2) continue;
      const mixed = rel.mixed ? `; mixed: ${rel.withoutProvenance} without provenance` : "";
      out.push(
        oneLine(
          `release ${rel.project} ${rel.version}: ${shortLevel(rel.level)} (lowest of ${rel.files} files${mixed})`,
        ),
      );
    }
  }
  return out.join("\n") + "\n";
}
