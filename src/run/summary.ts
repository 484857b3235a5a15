/**
 * What `pyprov run` prints when the command has finished: how many files the
 * proxy verified, allowed without provenance and blocked (in audit mode:
 * would have blocked), one line per blocked file with its reason; and the
 * same decisions as a `verify --format json` report. Pure.
 */
import { exitCodeFor } from "../pipeline.js";
import { renderJson, verifyDocument } from "../report/json.js";
import type { ServeDecision, ServeMode } from "../serve/server.js";
import { oneLine } from "../util/text.js";

export interface RunCounts {
  verified: number;
  unattested: number;
  blocked: number;
}

export function countDecisions(decisions: readonly ServeDecision[]): RunCounts {
  return {
    verified: decisions.filter((d) => d.outcome === "pass").length,
    unattested: decisions.filter((d) => d.outcome === "unattested").length,
    blocked: decisions.filter((d) => d.outcome === "fail").length,
  };
}

const files = (n: number): string => `${n} file${n === 1 ? "" : "s"}`;

/** Project names, sorted, without repeats. */
function projects(decisions: readonly ServeDecision[]): string {
  return [...new Set(decisions.map((d) => d.project))]
    .sort()
    .map((p) => oneLine(p))
    .join(", ");
}

/** The summary's lines (no trailing newline, no prefix), safe for a terminal. */
export function summaryLines(decisions: readonly ServeDecision[], mode: ServeMode): string[] {
  const c = countDecisions(decisions);
  if (decisions.length === 0) {
    return ["the proxy was asked for no package: nothing was installed through it"];
  }
  const blockedWord = mode === "audit" ? "would have blocked (audit mode: served)" : "blocked";
  const lines = [
    `the proxy verified ${files(c.verified)}, allowed ${files(c.unattested)} unattested and ${blockedWord} ${files(c.blocked)} (files listed on the project pages the command asked for)`,
  ];
  const verified = decisions.filter((d) => d.outcome === "pass");
  if (verified.length > 0) lines.push(`verified: ${projects(verified)}`);
  const delivered = decisions.filter((d) => d.downloaded);
  if (delivered.length > 0) {
    lines.push(
      `delivered through the proxy: ${delivered.map((d) => oneLine(d.filename)).join(", ")}`,
    );
  }
  for (const d of decisions) {
    if (d.outcome === "unattested") {
      lines.push(
        `allowed unattested ${oneLine(d.filename)}: the policy lets ${oneLine(d.project)} go without provenance`,
      );
    }
  }
  for (const d of decisions) {
    if (d.outcome === "fail") {
      const reason = oneLine(d.reasons.join("; ") || "did not verify");
      lines.push(
        `${mode === "audit" ? "would block" : "blocked"} ${oneLine(d.filename)}: ${reason}`,
      );
    }
  }
  return lines;
}

/** The decisions' reports as a `verify --format json` document (its exitCode: what verify would say of them). */
export function runReportJson(
  decisions: readonly ServeDecision[],
  trustRoot: { source: string; sha256: string },
): string {
  const results = decisions.map((d) => d.report);
  const root = { source: trustRoot.source, sha256: trustRoot.sha256 };
  return renderJson(verifyDocument(results, root, exitCodeFor(results)));
}
