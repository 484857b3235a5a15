/**
 * Human output: one line per file with ✓ or ✗, the publisher identity read
 * from the verified certificate, and on failure the precise reason.
 */
import { releaseLevels } from "../slsa/level.js";
import { shortLevel } from "../slsa/types.js";
import { oneLine, safeText } from "../util/text.js";
import type { SkippedTarget } from "../resolve/targets.js";
import type { PublisherIdentity, TargetReport } from "../verify/types.js";

export interface HumanOptions {
  color: boolean;
  /** Only failures, warnings and the summary line (`--quiet`). */
  quiet?: boolean;
}

const paint = (on: boolean, code: string, s: string): string =>
  on ? `\x1b[${code}m${s}\x1b[0m` : s;

/** "trailofbits/pypi-attestations release.yml@refs/tags/v0.0.19 env=pypi" */
export function formatIdentity(id: PublisherIdentity | undefined): string {
  if (!id) return "";
  const parts: string[] = [];
  if (id.kind === "github" || id.kind === "gitlab") {
    parts.push(`${id.kind}:${id.repository ?? "?"}`);
    const wf = id.workflow ?? "?";
    parts.push(`workflow=${wf}`);
    if (id.ref) parts.push(`ref=${id.ref}`);
    parts.push(`env=${id.environment ?? "-"}`);
    if (id.runner && id.runner !== "github-hosted" && id.runner !== "gitlab-hosted") {
      parts.push(`runner=${id.runner}`);
    }
  } else {
    parts.push(
      `${id.kind === "google" ? "google" : (id.issuer ?? "unknown issuer")}:${id.identity ?? "?"}`,
    );
  }
  return safeText(parts.join(" "));
}

export function renderHuman(
  results: TargetReport[],
  opts: HumanOptions,
  skipped: SkippedTarget[] = [],
): string {
  const lines: string[] = [];
  for (const r of results) {
    if (opts.quiet && r.verdict === "verified" && r.warnings.length === 0) continue;
    const name = oneLine(r.target.filename || r.target.path || "(unknown)");
    // The SLSA Build level ends the line (FAILED and UNEVALUATED go without saying).
    const level =
      r.slsa && r.slsa.level !== "FAILED" && r.slsa.level !== "SLSA_BUILD_LEVEL_UNEVALUATED"
        ? `  ${shortLevel(r.slsa.level)}`
        : "";
    if (r.verdict === "verified") {
      lines.push(
        `${paint(opts.color, "32", "✓")} ${name}  ${formatIdentity(r.identity)}`.trimEnd() + level,
      );
    } else if (r.verdict === "failed") {
      const id = formatIdentity(r.identity);
      lines.push(`${paint(opts.color, "31", "✗")} ${name}${id ? `  ${id}` : ""}${level}`);
      lines.push(`    ${oneLine(r.failure?.message ?? "verification failed")}`);
    } else if (r.verdict === "missing") {
      lines.push(`${paint(opts.color, "33", "-")} ${name}  no provenance${level}`);
      lines.push(`    ${oneLine(r.failure?.message ?? "no provenance")}`);
    } else {
      lines.push(`${paint(opts.color, "33", "!")} ${name}`);
      lines.push(`    error: ${oneLine(r.error?.message ?? "no verdict")}`);
    }
    for (const w of r.warnings) lines.push(`    warning: ${oneLine(w)}`);
  }
  for (const s of opts.quiet ? [] : skipped) {
    const where = s.origin ? ` (${s.origin.file}:${s.origin.line})` : "";
    lines.push(oneLine(`- ${s.name}  skipped: ${s.reason}${where}`));
  }
  const verified = results.filter((r) => r.verdict === "verified").length;
  const failed = results.filter((r) => r.verdict === "failed").length;
  const errors = results.filter((r) => r.verdict === "error").length;
  const missing = results.filter((r) => r.verdict === "missing").length;
  const summary = [`${verified} verified`, `${failed} failed`];
  if (missing > 0) summary.push(`${missing} without provenance`);
  if (errors > 0) summary.push(`${errors} without a verdict`);
  lines.push(summary.join(", "));
  // A release's level is the minimum over its files (shown, after the summary, when it has several).
  for (const rel of releaseLevels(results)) {
    if (rel.files < 2 || opts.quiet) continue;
    const mixed = rel.mixed ? `; mixed: ${rel.withoutProvenance} without provenance` : "";
    lines.push(
      oneLine(
        `release ${rel.project} ${rel.version}: ${shortLevel(rel.level)} (lowest of ${rel.files} files${mixed})`,
      ),
    );
  }
  return lines.join("\n") + "\n";
}
