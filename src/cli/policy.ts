/**
 * `pyprov policy schema | check | init`.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PyprovError } from "../errors.js";
import { verifyDistributions } from "../pipeline.js";
import { explainPackage, explainPolicy } from "../policy/explain.js";
import { buildInitialPolicy, renderPolicy } from "../policy/init.js";
import { loadPolicyFile, parsePolicy } from "../policy/load.js";
import { policyJsonSchema } from "../policy/schema.js";
import { oneLine, safeText } from "../util/text.js";
import type { Io } from "./main.js";
import { observeOptions, str } from "./observe.js";

/** `pyprov policy schema`: the policy file's JSON Schema. */
export function runPolicySchema(io: Io): number {
  io.stdout(JSON.stringify(policyJsonSchema(), null, 2) + "\n");
  return 0;
}

/** `pyprov policy check FILE`: validate (exit 2 when broken) and explain. */
export function runPolicyCheck(file: string, opts: Record<string, unknown>, io: Io): number {
  const policy = loadPolicyFile(file);
  const now = new Date();
  const { lines, notes } = explainPolicy(policy, now);
  const pkg = str(opts.package);
  const packageLines = pkg !== undefined ? explainPackage(policy, pkg, now) : undefined;
  if (opts.format === "json") {
    io.stdout(
      JSON.stringify(
        {
          valid: true,
          source: policy.source,
          sha256: policy.sha256,
          format: policy.format,
          policy: policy.document,
          explanation: lines,
          notes,
          ...(packageLines ? { package: packageLines } : {}),
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }
  const out = [
    `${oneLine(policy.source)}: valid pyprov policy (version 1, ${policy.format.toUpperCase()}, sha256 ${policy.sha256})`,
    ...lines,
  ];
  if (packageLines) out.push(...packageLines);
  for (const n of notes) out.push(`note: ${n}`);
  io.stdout(out.map(safeText).join("\n") + "\n");
  return 0;
}

/**
 * `pyprov policy init TARGETS | -r FILE | --lock FILE`: verify, then write a
 * policy pinning the publishers observed. Never overwrites without --force;
 * writes nothing when any file fails verification or has no verdict.
 */
export async function runPolicyInit(
  args: string[],
  opts: Record<string, unknown>,
  io: Io,
): Promise<number> {
  const output = str(opts.output) ?? "pyprov.policy.yaml";
  const toStdout = output === "-";
  const force = opts.force === true;
  if (!toStdout && !force && existsSync(output)) {
    throw new PyprovError(
      "USAGE",
      "the policy file already exists; it is left unchanged (use --force to overwrite it)",
      { source: output },
    );
  }
  const format =
    str(opts.format) === "json" || (str(opts.format) === undefined && output.endsWith(".json"))
      ? "json"
      : "yaml";
  const verifyOpts = observeOptions(
    args,
    opts,
    "nothing to observe: give targets, -r FILE or --lock FILE to pin their publishers",
  );
  const run = await verifyDistributions(verifyOpts);
  const bad = run.results.filter((r) => r.verdict === "failed" || r.verdict === "error");
  if (bad.length > 0) {
    for (const r of bad) {
      const why = r.verdict === "error" ? r.error?.message : r.failure?.message;
      io.stderr(`pyprov: ${oneLine(r.target.filename)}: ${oneLine(why ?? r.verdict)}\n`);
    }
    io.stderr(
      `pyprov: no policy written: ${bad.length} file(s) did not verify; trust on first use pins only what verifies now\n`,
    );
    return run.results.some((r) => r.verdict === "error") ? 2 : 1;
  }
  const init = buildInitialPolicy(run.results);
  const text = renderPolicy(init.document, format, [
    `pyprov policy (version 1), written by \`pyprov policy init\` on ${new Date().toISOString().slice(0, 10)}.`,
    "Trust on first use: it pins the publishers observed now, with their immutable",
    "repository and owner IDs. Review it, then check it: pyprov policy check FILE",
  ]);
  // Never write a policy that pyprov itself would reject.
  parsePolicy(Buffer.from(text), toStdout ? `policy.${format}` : output);
  if (toStdout) {
    io.stdout(text);
  } else {
    writePolicyFile(output, text, force);
    io.stdout(
      `wrote ${oneLine(output)}: ${init.packages} package(s), ${init.publishers} publisher(s) pinned (trust on first use)\n`,
    );
  }
  for (const n of init.notes) io.stderr(`pyprov: note: ${oneLine(n)}\n`);
  return 0;
}

/** Create the file exclusively, or (with force) replace it atomically. */
function writePolicyFile(path: string, text: string, force: boolean): void {
  try {
    if (!force) {
      writeFileSync(path, text, { flag: "wx" });
      return;
    }
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, text, { flag: "wx" });
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "EEXIST") {
      throw new PyprovError(
        "USAGE",
        "the policy file already exists; it is left unchanged (use --force to overwrite it)",
        { source: path },
      );
    }
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `cannot write the policy: ${err instanceof Error ? err.message : String(err)}`,
      { source: path },
    );
  }
}
