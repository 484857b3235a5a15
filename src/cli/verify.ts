import { PyprovError } from "../errors.js";
import type { Expectations } from "../identity/expectations.js";
import { parseRepositoryOption } from "../identity/platform.js";
import { parseSha256Option } from "../inputs/local.js";
import { DEFAULT_CONCURRENCY, verifyDistributions, type TargetInput } from "../pipeline.js";
import { InvalidFilenameError, parseDistributionFilename } from "../pypi/filename.js";
import { parseTargetArg } from "../resolve/targets.js";
import { resolveTrustRoot, staleRootWarning } from "../sigstore/trust-store.js";
import type { ReportFormat } from "../report/render.js";
import { oneLine } from "../util/text.js";
import type { Io } from "./main.js";
import { networkOptions } from "./network-options.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

function positiveInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > 256) {
    throw new PyprovError(
      "USAGE",
      `--${name} must be a whole number from 1 to 256, got "${String(v)}"`,
    );
  }
  return n;
}

function workersOption(v: unknown): number | "auto" {
  if (v === undefined || v === "auto") return "auto";
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || n > 64) {
    throw new PyprovError(
      "USAGE",
      `--workers must be "auto" or a whole number from 0 to 64, got "${String(v)}"`,
    );
  }
  return n;
}

/** `--history [N]`: undefined when absent; N (0-50), 5 when given without a number. */
function historyOption(v: unknown): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return 5;
  const n = Number(v);
  if (!/^\d+$/.test(String(v)) || !Number.isSafeInteger(n) || n > 50) {
    throw new PyprovError(
      "USAGE",
      `--history takes a number of previous releases from 0 to 50, got "${String(v)}" (put targets before --history, or give the number)`,
    );
  }
  return n;
}

export async function runVerify(
  args: string[],
  opts: Record<string, unknown>,
  io: Io,
): Promise<number> {
  const history = historyOption(opts.history);
  // --timeout / --deadline: checked first; the run's deadline starts now.
  const network = networkOptions(opts);
  const filename = str(opts.filename);
  const sha256 = str(opts.sha256);
  const targets: TargetInput[] = args.map(parseTargetArg);
  if (filename !== undefined || sha256 !== undefined) {
    if (filename === undefined || sha256 === undefined) {
      throw new PyprovError("USAGE", "--filename and --sha256 go together");
    }
    if (args.length > 0)
      throw new PyprovError("USAGE", "give either targets or --filename/--sha256, not both");
    try {
      parseDistributionFilename(filename);
    } catch (err) {
      if (err instanceof InvalidFilenameError)
        throw new PyprovError("USAGE", `--filename: ${err.message}`);
      throw err;
    }
    targets.push({ kind: "digest", filename, sha256: parseSha256Option(sha256) });
    if (opts.provenance === undefined && opts.attestation === undefined) {
      throw new PyprovError("USAGE", "--filename/--sha256 need --provenance or --attestation");
    }
  }
  const requirements = strs(opts.requirement);
  const locks = strs(opts.lock);
  const pipReports = strs(opts.pipReport);
  // --installed alone: python3's environment; with PATHs: those.
  const installed =
    opts.installed === true ? [] : opts.installed === undefined ? undefined : strs(opts.installed);
  if (pipReports.filter((p) => p === "-").length > 1) {
    throw new PyprovError("USAGE", "--pip-report - (standard input) can be given once");
  }
  if (
    targets.length === 0 &&
    requirements.length === 0 &&
    locks.length === 0 &&
    pipReports.length === 0 &&
    installed === undefined
  ) {
    throw new PyprovError(
      "USAGE",
      "nothing to verify: give targets, -r FILE, --lock FILE, --pip-report FILE, --installed [PATH...] or --filename/--sha256",
    );
  }

  const expectations: Expectations = {};
  for (const key of ["repository", "workflow", "environment", "issuer", "identity"] as const) {
    const v = str(opts[key]);
    if (v !== undefined) {
      if (v.trim() === "") throw new PyprovError("USAGE", `--${key} must not be empty`);
      expectations[key] = v;
    }
  }
  // The repository names its platform (bare OWNER/NAME: GitHub); a malformed one stops the run.
  if (expectations.repository !== undefined) parseRepositoryOption(expectations.repository);
  const policyFile = str(opts.policy);
  if (policyFile !== undefined && opts.allowMissing === true) {
    throw new PyprovError(
      "USAGE",
      "--allow-missing and --policy conflict: say require_attestation: false in the policy (or add an exception)",
    );
  }
  // The report's destination is checked before anything is read or fetched.
  const format = (str(opts.format) ?? "human") as ReportFormat;
  const output = str(opts.output);
  const inputs = [
    ...targets.flatMap((t) => (t.kind === "path" ? [t.path] : [])),
    ...requirements,
    ...locks,
    ...pipReports.filter((p) => p !== "-"),
    ...[policyFile, str(opts.provenance), str(opts.trustedRoot)].filter((p) => p !== undefined),
    ...strs(opts.attestation),
  ];
  if (output !== undefined) {
    (await import("../report/output.js")).checkOutputPath(output, inputs);
  }
  if (history !== undefined && opts.offline === true) {
    throw new PyprovError(
      "USAGE",
      "--history needs the package index; it cannot run with --offline",
    );
  }
  // A broken policy stops the run before anything is fetched (exit 2).
  const policy =
    policyFile !== undefined
      ? (await import("../policy/load.js")).loadPolicyFile(policyFile)
      : undefined;
  const only = str(opts.only) as "wheel" | "sdist" | undefined;
  // The trusted root: --trusted-root, else a TUF-refreshed cached root, else the bundled one.
  const { selection, root } = resolveTrustRoot({ trustedRoot: str(opts.trustedRoot) }, io.env);
  const stale = staleRootWarning(selection);
  if (stale) io.stderr(stale);
  const progress =
    io.isStderrTTY && (format === "human" || format === "table" || format === "lines");
  const warnings = new Set<string>();

  const run = await verifyDistributions({
    targets,
    requirements,
    locks,
    pipReports,
    installed,
    provenance: str(opts.provenance),
    attestations: strs(opts.attestation),
    expectations,
    trustRoot: root,
    only,
    download: opts.download === true,
    allowMissing: opts.allowMissing === true,
    index: {
      ...(str(opts.indexUrl) !== undefined ? { indexUrl: str(opts.indexUrl) } : {}),
      ...network,
    },
    cacheDir: str(opts.cacheDir),
    noCache: opts.cache === false,
    offline: opts.offline === true,
    concurrency: positiveInt("concurrency", opts.concurrency, DEFAULT_CONCURRENCY),
    workers: workersOption(opts.workers),
    ...(progress
      ? {
          onProgress: (done: number, total: number) =>
            io.stderr(`\r\x1b[Kverifying ${done}/${total}`),
        }
      : {}),
    onWarning: (msg) => warnings.add(msg),
    policy,
    ...(history !== undefined
      ? { continuity: { history, lookalike: opts.lookalike !== false } }
      : {}),
  });
  if (progress) io.stderr("\r\x1b[K");
  for (const w of warnings) io.stderr(`pyprov: warning: ${oneLine(w)}\n`);

  const color = io.isTTY && !("NO_COLOR" in io.env && io.env.NO_COLOR !== "");
  const { emitReport } = await import("../report/render.js");
  await emitReport(
    run,
    {
      format,
      output,
      quiet: opts.quiet === true,
      color,
      allowMissing: opts.allowMissing === true,
      inputs,
    },
    io,
  );
  return run.exitCode;
}
