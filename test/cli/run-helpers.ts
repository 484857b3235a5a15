/**
 * Shared by the `pyprov run` process tests: the built binary run
 * asynchronously (the fake index they use answers from the test process), a
 * hermetic environment, and a minimal wheel built with Python.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BIN, type CliResult } from "../support/cli.js";

/** The environment of every run: no pip config, no pip cache, nothing from this machine's pip setup. */
export function baseEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    NO_COLOR: "1",
    PYPROV_CACHE_DIR: join(dir, "pyprov-cache"),
    PIP_CONFIG_FILE: "/dev/null",
    PIP_NO_INPUT: "1",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    ...extra,
  };
}

export interface BinOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Called with each stdout line as it arrives (e.g. to signal the process). */
  onStdoutLine?: (line: string, child: ReturnType<typeof spawn>) => void;
}

/** Run bin/pyprov.js asynchronously, without blocking this process's servers. */
export function runBin(
  args: string[],
  opts: BinOptions,
): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const onLine = opts.onStdoutLine;
    if (onLine) {
      createInterface({ input: child.stdout }).on("line", (l) => {
        stdout += `${l}\n`;
        onLine(l, child);
      });
    } else child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
}

/** A minimal valid wheel (pip reads its metadata), built with Python's zipfile. */
export function buildWheel(out: string, name: string, version: string): Buffer {
  const script = `
import sys, zipfile
name, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
di = f"{name}-{version}.dist-info"
with zipfile.ZipFile(out, "w") as z:
    z.writestr(f"{name}/__init__.py", "")
    z.writestr(f"{di}/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
    z.writestr(f"{di}/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr(f"{di}/RECORD", "")
`;
  const r = spawnSync("python3", ["-c", script, name, version, out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building a wheel failed: ${r.stderr}`);
  return readFileSync(out);
}
