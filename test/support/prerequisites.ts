/**
 * vitest globalSetup: the test prerequisites that are not npm packages.
 * Python 3 with pip and venv (Debian's python3-pip, python3-venv) is needed by
 * the tests that install through `pyprov serve` with real pip. Installed with
 * apt-get when missing and running as root; otherwise the run stops with one
 * line naming the packages. PostgreSQL (Debian's postgresql) is needed by the
 * state-store tests, which start their own servers (test/support/postgres.ts);
 * it is installed here once, before the test files run in parallel.
 */
import { spawnSync } from "node:child_process";
import { ensurePostgresInstalled } from "./postgres.js";

function pythonReady(): boolean {
  const r = spawnSync("python3", ["-c", "import pip, venv"], { stdio: "ignore" });
  return r.status === 0;
}

export default function setup(): void {
  ensurePostgresInstalled();
  if (pythonReady()) return;
  if (process.getuid?.() === 0) {
    for (const args of [
      ["update", "-qq"],
      ["install", "-y", "-qq", "python3-pip", "python3-venv"],
    ]) {
      const r = spawnSync("apt-get", args, { stdio: "inherit" });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (exit ${r.status})`);
    }
    if (pythonReady()) return;
  }
  throw new Error(
    "pyprov tests need Python 3 with pip and venv: apt-get install python3-pip python3-venv",
  );
}
