/**
 * Human output: one line per file with ✓ or ✗, the publisher identity read
 * from the verified certificate, and on failure the precise reason.
 */
import { oneLine, safeText } from "../util/text.js";
import type { PublisherIdentity, TargetReport } from "../verify/types.js";

export interface HumanOptions {
  color: boolean;
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

export function renderHuman(results: TargetReport[], opts: HumanOptions): string {
  const lines: string[] = [];
  for (const r of results) {
    const name = oneLine(r.target.filename || r.target.path || "(unknown)");
    if (r.verdict === "verified") {
      lines.push(
        `${paint(opts.color, "32", "✓")} ${name}  ${formatIdentity(r.identity)}`.trimEnd(),
      );
    } else if (r.verdict === "failed") {
      const id = formatIdentity(r.identity);
      lines.push(`${paint(opts.color, "31", "✗")} ${name}${id ? `  ${id}` : ""}`);
      lines.push(`    ${oneLine(r.failure?.message ?? "verification failed")}`);
    } else if (r.verdict === "missing") {
      lines.push(`${paint(opts.color, "33", "-")} ${name}  no provenance`);
      lines.push(`    ${oneLine(r.failure?.message ?? "no provenance")}`);
    } else {
      lines.push(`${paint(opts.color, "33", "!")} ${name}`);
      lines.push(`    error: ${oneLine(r.error?.message ?? "no verdict")}`);
    }
    for (const w of r.warnings) lines.push(`    warning: ${oneLine(w)}`);
  }
  const verified = results.filter((r) => r.verdict === "verified").length;
  const failed = results.filter((r) => r.verdict === "failed").length;
  const errors = results.filter((r) => r.verdict === "error").length;
  const missing = results.filter((r) => r.verdict === "missing").length;
  const summary = [`${verified} verified`, `${failed} failed`];
  if (missing > 0) summary.push(`${missing} without provenance`);
  if (errors > 0) summary.push(`${errors} without a verdict`);
  lines.push(summary.join(", "));
  return lines.join("\n") + "\n";
}
