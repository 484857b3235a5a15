/**
 * `pyprov verify --format F [--output FILE] [--quiet]`: render the run in the
 * chosen format (each renderer loaded on first use) and write it.
 *
 * Without --output the report goes to stdout. With --output it goes to FILE
 * (atomically) and stdout gets the short human view instead: failures,
 * warnings and the summary line, as with --quiet. Whenever stdout carries the
 * human view, files without a verdict are also named on stderr. The exit code
 * never depends on the format.
 */
import type { VerifyRun } from "../pipeline.js";

/**
 * `human` is the compact table; `lines` is one line per file with the full
 * publisher identity (repository, workflow, ref, environment) and the reason
 * under each failure; `table` is kept as another name for `human`.
 */
export const REPORT_FORMATS = [
  "human",
  "json",
  "sarif",
  "vsa",
  "cyclonedx",
  "lines",
  "table",
] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderOptions {
  color: boolean;
  quiet?: boolean;
  /** --allow-missing: missing provenance passes (VSA, SARIF, CycloneDX, table). */
  allowMissing?: boolean;
  /** The time reports state (VSA timeVerified, CycloneDX timestamp); default now. */
  now?: Date;
}

export async function renderReport(
  format: ReportFormat,
  run: VerifyRun,
  opts: RenderOptions,
): Promise<string> {
  const allowMissing = opts.allowMissing === true;
  const now = opts.now ?? new Date();
  switch (format) {
    case "lines": {
      const { renderHuman } = await import("./human.js");
      return renderHuman(
        run.results,
        { color: opts.color, quiet: opts.quiet === true },
        run.skipped,
      );
    }
    case "human":
    case "table": {
      const { renderTable } = await import("./table.js");
      return renderTable(
        run.results,
        { color: opts.color, quiet: opts.quiet === true, allowMissing },
        run.skipped,
      );
    }
    case "json": {
      const { renderJson, verifyDocument } = await import("./json.js");
      return renderJson(verifyDocument(run.results, run.trustRoot, run.exitCode, run.skipped));
    }
    case "sarif":
      return (await import("./sarif.js")).renderSarif(run, { allowMissing });
    case "vsa":
      return (await import("./vsa.js")).renderVsa(run, { allowMissing, now });
    case "cyclonedx":
      return (await import("./cyclonedx.js")).renderCycloneDx(run, { allowMissing, now });
  }
}

export interface EmitOptions extends RenderOptions {
  format: ReportFormat;
  /** --output FILE. */
  output?: string | undefined;
  /** Files this run read, which --output must never replace. */
  inputs?: readonly string[];
}

/** Local files a finished run read beyond the command line: includes, sidecars, the trust root. */
export function filesRead(run: VerifyRun): string[] {
  const out = new Set<string>([run.trustRoot.source]);
  for (const r of run.results) {
    if (r.target.path !== undefined) out.add(r.target.path);
    if (r.target.origin) out.add(r.target.origin.file);
    for (const s of r.provenance?.sources ?? []) out.add(s);
  }
  for (const s of run.skipped) if (s.origin) out.add(s.origin.file);
  return [...out];
}

export async function emitReport(
  run: VerifyRun,
  opts: EmitOptions,
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<void> {
  if (opts.output === undefined) {
    io.stdout(await renderReport(opts.format, run, opts));
  } else {
    const { checkOutputPath, writeFileAtomic } = await import("./output.js");
    checkOutputPath(opts.output, [...(opts.inputs ?? []), ...filesRead(run)]);
    writeFileAtomic(opts.output, await renderReport(opts.format, run, { ...opts, color: false }));
    io.stdout(
      await renderReport(opts.format === "lines" ? "lines" : "human", run, {
        ...opts,
        quiet: true,
      }),
    );
  }
  const forPeople = opts.format === "human" || opts.format === "table" || opts.format === "lines";
  if (opts.output !== undefined || forPeople) {
    for (const r of run.results) {
      if (r.verdict === "error") io.stderr(`pyprov: ${r.error?.message ?? "no verdict"}\n`);
    }
  }
}
