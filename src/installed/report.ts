/**
 * The installed-files comparison in a file's report: one `installed-files`
 * check naming every finding; any finding fails the file INSTALLED_MODIFIED
 * (a report with no verdict keeps its error). The report's path is the
 * dist-info folder that was checked.
 */
import type { TargetReport } from "../verify/types.js";
import { describeFinding, type InstalledCheck } from "./resolve.js";

/** Findings named in one check message at most (the count says how many more). */
const NAMED = 20;

export function applyInstalledCheck(report: TargetReport, check: InstalledCheck): void {
  report.target.path = check.distInfoPath;
  const n = check.findings.length;
  if (n === 0) {
    report.checks.push({
      id: "installed-files",
      ok: true,
      message: `the installed files are the wheel's, as its RECORD lists them (${check.distInfoPath})`,
    });
    return;
  }
  const named = check.findings.slice(0, NAMED).map(describeFinding);
  const more = n > NAMED ? `; and ${n - NAMED} more` : "";
  const message = `${n} installed file${n === 1 ? "" : "s"} not as the wheel's RECORD says: ${named.join("; ")}${more}`;
  report.checks.push({ id: "installed-files", ok: false, code: "INSTALLED_MODIFIED", message });
  if (report.verdict === "error") return;
  if (report.verdict !== "failed") {
    report.verdict = "failed";
    report.failure = { code: "INSTALLED_MODIFIED", message };
  }
}
