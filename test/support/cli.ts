/**
 * Running the CLI in tests: in-process through main() (fast, same code path
 * as the binary after argument parsing), or as a real process through
 * bin/pyprov.js (exit codes, stdout/stderr separation, no stack traces).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { REPO_ROOT } from "./corpus.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    isTTY: false,
    env,
  });
  return { code, stdout, stderr };
}

export const BIN = join(REPO_ROOT, "bin", "pyprov.js");

/** Run the built binary (requires `npm run build`, which `npm test` does first). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
