/**
 * The README's `pyprov run` section against the code: the variables it says
 * are set and removed, and the refusal line it shows, as pyprov prints it.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BYPASS_VARIABLES, INDEX_VARIABLES } from "../../src/run/env.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/corpus.js";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

function section(): string {
  const heading = "### `pyprov run`: one install command behind the proxy";
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, "README has the pyprov run section").toBeGreaterThan(0);
  expect(start).toBeGreaterThan(README.indexOf("\n## Install only verified packages\n"));
  const end = README.indexOf("\n## ", start + 2);
  return README.slice(start, end);
}

/** The backticked names in the list item that starts with `lead`. */
function listed(text: string, lead: string): string[] {
  const at = text.indexOf(`- ${lead}`);
  expect(at, lead).toBeGreaterThan(0);
  // The item up to "(each": the list itself, not the explanation after it.
  const item = text.slice(at, text.indexOf("\n- ", at + 2)).split(" (each")[0] ?? "";
  return [...item.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1] ?? "");
}

describe("README: pyprov run", () => {
  it("names the examples the issue asks for", () => {
    const text = section();
    expect(text).toContain("pyprov run -- uv sync");
    expect(text).toMatch(/pyprov run .*-- pip install -r requirements\.txt/);
  });

  it("lists exactly the variables that are set and removed", () => {
    const text = section();
    expect(listed(text, "set to the proxy's URL")).toEqual([...INDEX_VARIABLES]);
    expect(listed(text, "removed:")).toEqual([...BYPASS_VARIABLES]);
  });

  it("shows the refusal line as pyprov prints it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pyprov-run-readme-"));
    try {
      mkdirSync(join(dir, "requirements"));
      const file = join(dir, "requirements", "private.txt");
      writeFileSync(file, "x==1\n--extra-index-url https://private.example/simple\n");
      const r = await runCli(["run", "--", "pip", "install", "-r", file], {});
      expect(r.code).toBe(2);
      const shown = /^pyprov: refusing to run the command: .*$/m.exec(section())?.[0] ?? "";
      expect(r.stderr).toBe(`${shown.replace("requirements/private.txt", file)}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
