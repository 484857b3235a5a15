/**
 * vitest globalSetup: the test prerequisites that are not npm packages.
 * Python 3 with pip and venv (Debian's python3-pip, python3-venv) is needed by
 * the tests that install through `pyprov serve` with real pip. Installed with
 * apt-get when missing and running as root; otherwise the run stops with one
 * line naming the packages.
 */
import { spawnSync } from "node:child_process";

function pythonReady(): boolean {
  const r = spawnSync("python3", ["-c", "import pip, venv"], { stdio: "ignore" });
  return r.status === 0;
}

export default function setup(): void {
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
