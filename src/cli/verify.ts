import { PyprovError } from "../errors.js";
import type { Expectations } from "../identity/expectations.js";
import { parseSha256Option } from "../inputs/local.js";
import { verifyDistributions, type TargetInput } from "../pipeline.js";
import { parseDistributionFilename, InvalidFilenameError } from "../pypi/filename.js";
import { renderHuman } from "../report/human.js";
import { renderJson, verifyDocument } from "../report/json.js";
import type { Io } from "./main.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export async function runVerify(
  dists: string[],
  opts: Record<string, unknown>,
  io: Io,
): Promise<number> {
  const filename = str(opts.filename);
  const sha256 = str(opts.sha256);
  const targets: TargetInput[] = dists.map((path) => ({ kind: "path", path }));
  if (filename !== undefined || sha256 !== undefined) {
    if (filename === undefined || sha256 === undefined) {
      throw new PyprovError("USAGE", "--filename and --sha256 go together");
    }
    if (dists.length > 0)
      throw new PyprovError("USAGE", "give either DIST paths or --filename/--sha256, not both");
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
  if (targets.length === 0)
    throw new PyprovError("USAGE", "nothing to verify: give DIST... or --filename and --sha256");

  const expectations: Expectations = {};
  for (const key of ["repository", "workflow", "environment", "issuer", "identity"] as const) {
    const v = str(opts[key]);
    if (v !== undefined) {
      if (v.trim() === "") throw new PyprovError("USAGE", `--${key} must not be empty`);
      expectations[key] = v;
    }
  }

  const run = await verifyDistributions({
    targets,
    provenance: str(opts.provenance),
    attestations: Array.isArray(opts.attestation) ? (opts.attestation as string[]) : undefined,
    expectations,
    trustedRoot: str(opts.trustedRoot),
  });

  if (opts.format === "json") {
    io.stdout(renderJson(verifyDocument(run.results, run.trustRoot, run.exitCode)));
  } else {
    const color = io.isTTY && !("NO_COLOR" in io.env && io.env.NO_COLOR !== "");
    io.stdout(renderHuman(run.results, { color }));
    for (const r of run.results) {
      if (r.verdict === "error") io.stderr(`pyprov: ${r.error?.message ?? "no verdict"}\n`);
    }
  }
  return run.exitCode;
}
