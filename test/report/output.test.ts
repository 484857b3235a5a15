/**
 * `--output FILE`, `--quiet`, colour (TTY and NO_COLOR), and exit codes that
 * do not depend on the format.
 */
import { linkSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { writeFileAtomic } from "../../src/report/output.js";
import { runCli, spawnCli } from "../support/cli.js";
import { Workspace, expectInputError } from "../support/synthetic.js";
import { expectValidSarif, expectValidVsaLines } from "./helpers.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

const ESC = "\x1b[";

/** A verified file, a failing one and one without provenance, in one directory. */
function mixed(): { ok: string; bad: string; bare: string; dir: string } {
  const ok = ws.attested();
  const bad = ws.attested();
  writeFileSync(bad.path, "changed after signing");
  const bare = ws.dist();
  return { ok: ok.path, bad: bad.path, bare: bare.path, dir: ws.subdir() };
}

async function tty(args: string[], env: NodeJS.ProcessEnv, isTTY = true) {
  let stdout = "";
  let stderr = "";
  const code = await main(["verify", ...args, "--trusted-root", ws.root], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    isTTY,
    env,
  });
  return { code, stdout, stderr };
}

describe("--output FILE", () => {
  it("writes the report to FILE; stdout gets failures, warnings and the summary only", async () => {
    const m = mixed();
    const out = join(m.dir, "report.sarif");
    const r = await ws.verify([m.ok, m.bad, m.bare, "--format", "sarif", "--output", out]);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(readFileSync(out, "utf8")) as {
      runs: { results: { ruleId: string }[] }[];
    };
    expectValidSarif(sarif);
    expect(sarif.runs[0]!.results.map((x) => x.ruleId)).toEqual([
      "SUBJECT_DIGEST",
      "NO_ATTESTATIONS",
    ]);
    // stdout: the quiet table (header, the failing and missing rows, the summary).
    expect(r.stdout).not.toContain("✓");
    expect(r.stdout).toMatch(/^acme-pkg +1\.0\.0 +acme_pkg\S* .*✗ failed SUBJECT_DIGEST$/m);
    expect(r.stdout).toMatch(/^acme-pkg +1\.0\.0 +acme_pkg\S* .*- missing$/m);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
      "1 verified, 1 failed, 1 without provenance",
    );
    expect(r.stderr).toBe("");
  });

  it("the file holds exactly what stdout would; a second run replaces it", async () => {
    const ok = ws.attested();
    const out = join(ws.subdir(), "report.json");
    const plain = await ws.verify([ok.path, "--format", "json"]);
    writeFileSync(out, "old content");
    const r = await ws.verify([ok.path, "--format", "json", "-o", out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(plain.stdout);
    expect(r.stdout).toBe("1 verified, 0 failed\n");
  });

  it("table format to a file: no colour in the file, even on a terminal", async () => {
    const ok = ws.attested();
    const out = join(ws.subdir(), "report.txt");
    const r = await tty([ok.path, "--format", "table", "--output", out], {});
    expect(r.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toMatch(/^PACKAGE +VERSION +FILE +SLSA +PUBLISHER +VERDICT\n/);
    expect(text).not.toContain(ESC);
    expect(r.stdout).toBe("1 verified, 0 failed\n");
  });

  it("is atomic: a temporary file beside it, then a rename (a hard link keeps the old bytes)", () => {
    const dir = ws.subdir();
    const out = join(dir, "r.json");
    writeFileSync(out, "old");
    linkSync(out, join(dir, "old-link"));
    writeFileAtomic(out, "new\n");
    expect(readFileSync(out, "utf8")).toBe("new\n");
    expect(readFileSync(join(dir, "old-link"), "utf8")).toBe("old");
    expect(readdirSync(dir).sort()).toEqual(["old-link", "r.json"]);
  });

  it("refuses a directory, a name ending in /, and a directory that does not exist", async () => {
    const ok = ws.attested();
    const dir = ws.subdir();
    for (const out of [dir, `${join(dir, "x")}/`, join(dir, "missing", "r.json")]) {
      const r = await ws.verify([ok.path, "--format", "json", "--output", out]);
      expectInputError(r, ["--output"]);
      expect(r.stdout).toBe("");
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses to overwrite an input: policy, requirements file, lockfile, distribution", async () => {
    const ok = ws.attested();
    const policy = ws.file("policy.yaml", "version: 1\n");
    const reqs = ws.file("requirements.txt", "# nothing\n");
    const lock = ws.file("pylock.toml", 'lock-version = "1.0"\n');
    const cases: [string[], string][] = [
      [[ok.path, "--policy", policy], policy],
      [["-r", reqs], reqs],
      [["--lock", lock], lock],
      [[ok.path], ok.path],
    ];
    for (const [args, victim] of cases) {
      const before = readFileSync(victim);
      const r = await ws.verify([...args, "--format", "sarif", "--output", victim]);
      expectInputError(r, ["refusing to overwrite", victim]);
      expect(readFileSync(victim).equals(before)).toBe(true);
    }
  });

  it("sees through symlinks, hard links and other spellings of the same path", async () => {
    const ok = ws.attested();
    const dir = ws.subdir();
    const policy = join(dir, "policy.yaml");
    writeFileSync(policy, "version: 1\n");
    symlinkSync(policy, join(dir, "sym.json"));
    linkSync(policy, join(dir, "hard.json"));
    for (const out of [
      join(dir, "sym.json"),
      join(dir, "hard.json"),
      join(dir, ".", "..", dir.split("/").at(-1)!, "policy.yaml"),
    ]) {
      const r = await ws.verify([ok.path, "--policy", policy, "--format", "json", "-o", out]);
      expectInputError(r, ["refusing to overwrite"]);
    }
    expect(readFileSync(policy, "utf8")).toBe("version: 1\n");
  });

  it("refuses a file the run found by itself (a provenance sidecar), leaving it intact", async () => {
    const ok = ws.attested();
    const sidecar = `${ok.path}.provenance`;
    const before = readFileSync(sidecar);
    const r = await ws.verify([ok.path, "--format", "vsa", "--output", sidecar]);
    expectInputError(r, ["refusing to overwrite", sidecar]);
    expect(readFileSync(sidecar).equals(before)).toBe(true);
  });

  it("through the real binary: exit codes and streams", () => {
    const m = mixed();
    const out = join(m.dir, "vsa.jsonl");
    const r = spawnCli([
      "verify",
      m.ok,
      m.bad,
      "--trusted-root",
      ws.root,
      "--format",
      "vsa",
      "-o",
      out,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const lines = expectValidVsaLines(readFileSync(out, "utf8"));
    expect(
      lines.map((l) => (l.predicate as { verificationResult: string }).verificationResult),
    ).toEqual(["PASSED", "FAILED"]);
    expect(r.stdout).toContain("1 verified, 1 failed");
    expect(r.stderr).toBe("");
  });
});

describe("--quiet", () => {
  it("human: only failures, warnings and the summary line", async () => {
    const m = mixed();
    const loud = await ws.verify([m.ok, m.bad, m.bare]);
    const quiet = await ws.verify([m.ok, m.bad, m.bare, "--quiet"]);
    expect(quiet.code).toBe(loud.code);
    expect(loud.stdout).toContain("✓ ");
    expect(quiet.stdout).not.toContain("✓ ");
    expect(quiet.stdout.split("\n")[0]).toMatch(/^✗ /);
    expect(quiet.stdout).toContain("- acme_pkg");
    expect(quiet.stdout).toMatch(/1 verified, 1 failed, 1 without provenance\n$/);
    // Nothing to say: the summary line alone.
    const ok = await ws.verify([m.ok, "-q"]);
    expect(ok.stdout).toBe("1 verified, 0 failed\n");
  });

  it("table: the header and failing rows only; a clean run is one line", async () => {
    const m = mixed();
    const r = await ws.verify([m.ok, m.bad, "--format", "table", "--quiet"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PACKAGE/);
    expect(lines.filter((l) => l.includes("✓"))).toEqual([]);
    expect(lines.some((l) => l.includes("✗ failed SUBJECT_DIGEST"))).toBe(true);
    expect(lines.at(-1)).toBe("1 verified, 1 failed");
    const ok = await ws.verify([m.ok, "--format", "table", "--quiet"]);
    expect(ok.stdout).toBe("1 verified, 0 failed\n");
  });

  it("keeps a verified file that has warnings", async () => {
    const bare = ws.dist();
    const r = await ws.verify([bare.path, "--allow-missing", "--quiet", "--format", "table"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("- missing (allowed)");
  });
});

describe("colour", () => {
  it("only on a terminal, and never with NO_COLOR set (to anything but the empty string)", async () => {
    const m = mixed();
    for (const format of ["human", "table"]) {
      const args = [m.ok, m.bad, "--format", format];
      expect((await tty(args, {})).stdout).toContain(ESC);
      expect((await tty(args, { NO_COLOR: "1" })).stdout).not.toContain(ESC);
      expect((await tty(args, { NO_COLOR: "" })).stdout).toContain(ESC);
      expect((await tty(args, {}, false)).stdout).not.toContain(ESC);
    }
  });

  it("machine formats never carry escapes, even on a terminal", async () => {
    const m = mixed();
    for (const format of ["json", "sarif", "vsa", "cyclonedx"]) {
      expect((await tty([m.ok, m.bad, "--format", format], {})).stdout).not.toContain(ESC);
    }
  });
});

describe("exit codes do not depend on the format", () => {
  it("0, 1 and 2 in every format", async () => {
    const ok = ws.attested();
    const bad = ws.attested();
    writeFileSync(bad.path, "changed");
    const broken = ws.dist();
    ws.writeJson(`${broken.path}.provenance`, "{");
    const runs: [string[], number][] = [
      [[ok.path], 0],
      [[ok.path, bad.path], 1],
      [[ok.path, broken.path], 2],
    ];
    for (const [args, code] of runs) {
      for (const format of ["human", "table", "json", "sarif", "vsa", "cyclonedx"]) {
        const r = await ws.verify([...args, "--format", format]);
        expect(r.code, `${format} ${args.length}`).toBe(code);
      }
    }
  });

  it("an unknown format is a usage error (exit 2)", async () => {
    const r = await runCli(["verify", "x.whl", "--format", "xml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("xml");
  });

  it("--output: a file without a verdict is still reported (exit 2); a broken policy writes nothing", async () => {
    const dir = ws.subdir();
    const out = join(dir, "r.json");
    const r = await ws.verify(["--format", "json", "--output", out, join(dir, "nope.whl")]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(readFileSync(out, "utf8")) as { results: { verdict: string }[] };
    expect(doc.results.map((x) => x.verdict)).toEqual(["error"]);
    expect(r.stderr).toContain("nope.whl");

    const policy = ws.file("bad.yaml", "version: 2\n");
    const out2 = join(dir, "r2.json");
    const p = await ws.verify([
      ws.attested().path,
      "--policy",
      policy,
      "--format",
      "json",
      "-o",
      out2,
    ]);
    expectInputError(p, ["bad.yaml"]);
    expect(readdirSync(dir)).toEqual(["r.json"]);
  });
});
