/**
 * `pyprov run [serve options] -- COMMAND...`: start the verifying proxy
 * (serve/server.ts) on a free loopback port, run COMMAND with pip's and uv's
 * index variables pointing at it, and report what the proxy decided.
 *
 * Order: check the command line and the requirements files it names for ways
 * around the proxy (run/bypass.ts; refused unless --allow-bypass), load the
 * policy and trust root, start the proxy, spawn the command (no shell; stdio
 * inherited) with SIGINT/SIGTERM forwarded, wait for it, close the proxy,
 * print the summary on stderr and write the JSON report if asked. The exit
 * code is the command's (killed by signal n: 128+n); a startup or usage
 * problem is exit 2 (command not found: 127, not executable: 126); a report
 * that cannot be written after the command succeeded is exit 2.
 */
// The default import: the bundle loads node:child_process lazily (scripts/build.mjs), as an
// object whose properties are read on use, which named imports would copy too early.
import childProcess from "node:child_process";
import { constants } from "node:os";
import { PyprovError, describeError } from "../errors.js";
import { readInputText } from "../inputs/parse-common.js";
import { scanCommand, type ScanResult } from "../run/bypass.js";
import { childEnv, INDEX_VARIABLES } from "../run/env.js";
import { runReportJson, summaryLines } from "../run/summary.js";
import { startServe, type RunningServe } from "../serve/server.js";
import { oneLine } from "../util/text.js";
import type { Io } from "./main.js";
import { LOOPBACK, serveOptionsFrom } from "./serve-options.js";
import { openServeState } from "./serve-state.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export interface RunInvocation {
  /** The arguments after the `--` (commander's operands). */
  command: string[];
  /** Whether a `--` came before them, and nothing else did. */
  separated: boolean;
}

/** The signals passed on to the command. */
const FORWARDED = ["SIGINT", "SIGTERM"] as const;

export async function runRun(
  inv: RunInvocation,
  opts: Record<string, unknown>,
  io: Io,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  if (!inv.separated) {
    // Unknown options reach us as operands (so that `pyprov run pip install -r f` says this).
    const first = inv.command[0];
    const unknown =
      first?.startsWith("-") === true && first !== "--" ? `unknown option ${first}; ` : "";
    throw new PyprovError(
      "USAGE",
      `${unknown}the command goes after --: pyprov run [options] -- COMMAND [ARGS...]`,
    );
  }
  const [program, ...args] = inv.command;
  if (program === undefined || program === "") {
    throw new PyprovError(
      "USAGE",
      "no command after --: pyprov run [options] -- COMMAND [ARGS...]",
    );
  }
  const host = str(opts.host) ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) {
    throw new PyprovError(
      "USAGE",
      `--host ${host}: pyprov run listens on loopback only (127.0.0.1, ::1 or localhost); use pyprov serve to share an index`,
    );
  }
  const format = str(opts.format) ?? "human";
  const output = str(opts.output);
  if (format === "json" && output === undefined) {
    throw new PyprovError(
      "USAGE",
      "--format json needs --output FILE (standard output belongs to the command)",
    );
  }
  if (output !== undefined && format !== "json") {
    throw new PyprovError("USAGE", "--output needs --format json");
  }

  const scan = bypassScan(inv.command, io, opts.allowBypass === true);
  if (scan.refused) return 2;

  const runLine = (line: string): void => io.stderr(`pyprov run: ${oneLine(line)}\n`);
  // Blocked files are listed in the summary; the proxy's other events are shown as they happen.
  const held: string[] = [];
  const log = (line: string): void => {
    if (/^(blocked|audit: would block) /.test(line)) held.push(line);
    else runLine(line);
  };
  const options = await serveOptionsFrom(opts, io, log);
  if (output !== undefined) {
    const { checkOutputPath } = await import("../report/output.js");
    const policy = str(opts.policy);
    checkOutputPath(output, [
      ...(policy !== undefined ? [policy] : []),
      options.trustRoot.source,
      ...scan.result.files,
    ]);
  }
  const state = await openServeState(opts, {
    port: options.port,
    cacheDir: options.cacheDir,
    env: io.env,
    log,
  });
  let proxy: RunningServe;
  try {
    proxy = await startServe({ ...options, ...state.options });
  } catch (err) {
    await state.store.close();
    if (err instanceof PyprovError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new PyprovError(
      "USAGE",
      `cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`,
    );
  }

  const { env, unset, replaced } = childEnv(io.env, proxy.url);
  runLine(
    `${options.mode === "enforce" ? "serving only verified files" : "audit mode: serving every file, noting what enforce would block"} from ${options.upstream} at ${proxy.url}; ${INDEX_VARIABLES.join(", ")} point at it`,
  );
  if (unset.length > 0) runLine(`unset for the command: ${unset.join(", ")}`);
  if (replaced.length > 0) {
    // Their old values are not shown: index URLs often carry credentials.
    runLine(
      `${replaced.join(", ")} named another index, now replaced: the proxy's upstream is ${options.upstream} (--upstream to proxy another index)`,
    );
  }

  let code: number;
  try {
    code = await runChild(program, args, env, signals, runLine);
  } finally {
    await proxy.close();
    await state.store.close();
  }

  const decisions = proxy.decisions();
  for (const line of summaryLines(decisions, options.mode)) runLine(line);
  const decided = new Set(decisions.map((d) => d.filename));
  for (const line of held) {
    const name = line.replace(/^(blocked|audit: would block) /, "").split(": ")[0] ?? "";
    if (!decided.has(name)) runLine(line);
  }

  if (output !== undefined) {
    try {
      const { writeFileAtomic } = await import("../report/output.js");
      writeFileAtomic(output, runReportJson(decisions, options.trustRoot));
      runLine(`report written to ${output}`);
    } catch (err) {
      const message = err instanceof PyprovError ? err.oneLine() : describeError(err);
      io.stderr(`pyprov: ${message}\n`);
      return code === 0 ? 2 : code;
    }
  }
  return code;
}

/** Scan the command; with findings, each is printed (refused, or a warning with --allow-bypass). */
function bypassScan(
  command: string[],
  io: Io,
  allow: boolean,
): { refused: boolean; result: ScanResult } {
  let result: ScanResult;
  try {
    result = scanCommand(command, { readFile: readInputText, cwd: process.cwd(), env: io.env });
  } catch (err) {
    if (!allow) throw err;
    const message = err instanceof PyprovError ? err.oneLine() : describeError(err);
    io.stderr(`pyprov run: warning: not checked for ways around the proxy: ${message}\n`);
    return { refused: false, result: { bypasses: [], files: [], notScanned: [] } };
  }
  for (const f of result.notScanned) {
    io.stderr(
      `pyprov run: warning: ${oneLine(f)} is not checked for ways around the proxy (project metadata: its sources and indexes are the installer's to read)\n`,
    );
  }
  for (const b of result.bypasses) {
    const what = `${oneLine(b.where)}: ${oneLine(b.what)} would take files from outside the proxy`;
    io.stderr(
      allow
        ? `pyprov run: warning: ${what} (allowed by --allow-bypass)\n`
        : `pyprov: refusing to run the command: ${what} (remove it, or pass --allow-bypass)\n`,
    );
  }
  return { refused: !allow && result.bypasses.length > 0, result };
}

/** Spawn the command, pass SIGINT/SIGTERM on, resolve to its exit code (signal n: 128+n). */
function runChild(
  program: string,
  args: string[],
  env: Record<string, string>,
  signals: NodeJS.EventEmitter,
  say: (line: string) => void,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = childProcess.spawn(program, args, { stdio: "inherit", env, shell: false });
    const forward = (signal: NodeJS.Signals) => (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) signals.on(s, h);
    const done = (code: number): void => {
      for (const [s, h] of handlers) signals.off(s, h);
      resolve(code);
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      // Only a failure to start: once running, errors are about signalling it.
      if (child.pid !== undefined) return;
      const why = err.code === "ENOENT" ? "command not found" : (err.code ?? err.message);
      say(`cannot run ${program}: ${why}`);
      done(err.code === "ENOENT" ? 127 : 126);
    });
    child.once("exit", (code, signal) => {
      if (signal !== null) {
        const n = constants.signals[signal];
        say(`the command was killed by ${signal}`);
        done(128 + n);
      } else done(code ?? 2);
    });
  });
}
