/**
 * Requirements files and lockfiles end to end (CLI in-process, FakeIndex on
 * 127.0.0.1): exactly the pinned files are verified, by the digests the
 * inputs pin; unpinned requirements are flagged; PEP 751
 * attestation-identities are enforced; `--download` hashes the served bytes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import {
  SyntheticIndex,
  pylockText,
  requirementsText,
  sha256Hex,
  uvLockText,
  verdicts,
  verifyJson,
  type CliJsonRun,
  type SynthFile,
} from "../support/synthetic-index.js";

const si = new SyntheticIndex({
  projects: {
    "pinned-a": [
      { version: "0.9.0" },
      {
        version: "1.0.0",
        files: [
          { kind: "wheel" },
          { kind: "sdist" },
          { kind: "wheel", tag: "cp312-cp312-manylinux_2_17_x86_64" }, // never pinned
        ],
      },
    ],
    "pinned-b": [{ version: "2.0.0", files: [{ kind: "wheel" }] }],
    loose: [{ version: "1.0.0" }, { version: "1.2.0" }],
    locked: [{ version: "3.0.0" }],
    "locked-two": [{ version: "1.0.0", files: [{ kind: "wheel" }] }],
  },
});

beforeAll(async () => {
  await si.start();
});
afterAll(async () => {
  await si.close();
});
beforeEach(() => {
  si.index.resetCounts();
});

function run(args: string[], extra: string[] = ["--no-cache"]): Promise<CliJsonRun> {
  return verifyJson([...args, "--index-url", si.indexUrl, "--trusted-root", si.root, ...extra]);
}

const names = (files: { filename: string }[]): string[] => files.map((f) => f.filename).sort();
const resultNames = (r: CliJsonRun): string[] => names(r.doc.results.map((x) => x.target));
const pick = (project: string, version: string, pred: (f: SynthFile) => boolean): SynthFile =>
  si.release(project, version).find(pred)!;

const aWheel = pick("pinned-a", "1.0.0", (f) => f.filename.endsWith("py3-none-any.whl"));
const aSdist = pick("pinned-a", "1.0.0", (f) => f.kind === "sdist");
const aSibling = pick("pinned-a", "1.0.0", (f) => f.filename.includes("manylinux"));
const bWheel = pick("pinned-b", "2.0.0", () => true);

describe("requirements files", () => {
  it("pip-compile output: exactly the hashed files, with their origin lines", async () => {
    const dir = si.subdir();
    const common = requirementsText([
      {
        name: "pinned-b",
        version: "2.0.0",
        marker: 'python_version >= "3.8"',
        hashes: [bWheel.sha256],
        via: "-r requirements.in",
      },
    ]);
    const main = requirementsText(
      [
        {
          name: "pinned-a",
          version: "1.0.0",
          hashes: [aWheel.sha256, aSdist.sha256],
          via: "pinned-b",
        },
      ],
      ["common.txt"],
    );
    const commonPath = si.write("common.txt", common.text, dir);
    const mainPath = si.write("requirements.txt", main.text, dir);
    expect(main.text).toContain("pinned-a==1.0.0 \\\n    --hash=sha256:");

    const r = await run(["-r", mainPath]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(resultNames(r)).toEqual(names([aWheel, aSdist, bWheel]));
    expect(resultNames(r)).not.toContain(aSibling.filename);
    expect(r.doc.results.every((x) => x.verdict === "verified")).toBe(true);
    expect(r.doc.results.flatMap((x) => x.warnings)).toEqual([]);

    const origin = (f: SynthFile) =>
      r.doc.results.find((x) => x.target.filename === f.filename)!.target.origin;
    expect(origin(aWheel)).toEqual({ file: mainPath, line: main.lines.get("pinned-a") });
    expect(origin(aSdist)).toEqual({ file: mainPath, line: main.lines.get("pinned-a") });
    expect(origin(bWheel)).toEqual({ file: commonPath, line: common.lines.get("pinned-b") });
    expect(main.lines.get("pinned-a")).toBe(8); // 6 header lines, then "-r common.txt"

    // Verified by the pinned digests: no downloads, and the sibling is never looked at.
    expect(si.downloads()).toBe(0);
    expect(si.index.count(si.provenancePath(aSibling))).toBe(0);
    expect(si.index.count(si.provenancePath(aWheel))).toBe(1);
  });

  it("a requirement without hashes is verified by version and flagged as unpinned", async () => {
    const path = si.write("req.txt", requirementsText([{ name: "loose", version: "1.0.0" }]).text);
    const r = await run(["-r", path]);
    expect(r.code, r.stderr).toBe(0);
    expect(resultNames(r)).toEqual(names(si.release("loose", "1.0.0")));
    for (const res of r.doc.results) {
      expect(res.verdict).toBe("verified");
      expect(res.warnings.join("\n")).toMatch(/^unpinned: no --hash/);
    }
    const human = await runCli([
      "verify",
      "-r",
      path,
      "--no-cache",
      "--index-url",
      si.indexUrl,
      "--trusted-root",
      si.root,
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("    warning: unpinned: no --hash in the requirements file");
  });

  it("a bare NAME requirement takes the latest release, also flagged", async () => {
    const path = si.write("req.txt", "loose\n");
    const r = await run(["-r", path]);
    expect(r.code).toBe(0);
    expect(resultNames(r)).toEqual(names(si.release("loose", "1.2.0")));
    expect(r.doc.results.every((x) => x.warnings.some((w) => w.startsWith("unpinned")))).toBe(true);
  });

  it("a hash no index file has: that entry has no verdict (exit 2), the others still verify", async () => {
    const unknown = sha256Hex("no such file");
    const req = requirementsText([
      { name: "pinned-a", version: "1.0.0", hashes: [aWheel.sha256, unknown] },
    ]);
    const path = si.write("requirements.txt", req.text);
    const r = await run(["-r", path]);
    expect(r.code).toBe(2);
    expect(verdicts(r.doc.results)).toEqual([
      "pinned-a==1.0.0 error INPUT_UNREADABLE",
      `${aWheel.filename} verified`,
    ]);
    const bad = r.doc.results.find((x) => x.verdict === "error")!;
    expect(bad.error?.message).toBe(
      `pinned-a: no file on the index has the required sha256 ${unknown}`,
    );
    expect(bad.target.origin).toEqual({ file: path, line: req.lines.get("pinned-a") });
    const human = await runCli([
      "verify",
      "-r",
      path,
      "--no-cache",
      "--index-url",
      si.indexUrl,
      "--trusted-root",
      si.root,
    ]);
    expect(human.code).toBe(2);
    expect(human.stderr).toBe(
      `pyprov: pinned-a: no file on the index has the required sha256 ${unknown}\n`,
    );
  });
});

describe("pylock.toml", () => {
  const good = { kind: "GitHub", repository: "acme/pkg", workflow: "release.yml" };

  it("attestation-identities matching the publisher: exit 0, by digest, no downloads", async () => {
    const lock = pylockText(si.indexUrl, [
      si.lockPackage("locked", "3.0.0", { identities: [good] }),
      si.lockPackage("pinned-b", "2.0.0"),
    ]);
    const path = si.write("pylock.toml", lock.text);
    const r = await run(["--lock", path]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(resultNames(r)).toEqual(names([...si.release("locked", "3.0.0"), bWheel]));
    for (const res of r.doc.results) {
      expect(res.verdict).toBe("verified");
      expect(res.warnings).toEqual([]);
      const pkg = res.target.filename.startsWith("locked") ? "locked" : "pinned-b";
      expect(res.target.origin).toEqual({ file: path, line: lock.lines.get(pkg) });
      const idCheck = res.attestations[0]?.checks.find((c) => c.id === "attestation-identities");
      if (pkg === "locked") expect(idCheck?.ok).toBe(true);
      else expect(idCheck).toBeUndefined();
    }
    expect(si.downloads()).toBe(0);
  });

  it("attestation-identities naming another repository: exit 1, EXPECTATION_MISMATCH", async () => {
    const wrong = { ...good, repository: "evil/pkg" };
    const lock = pylockText(si.indexUrl, [
      si.lockPackage("locked", "3.0.0", { identities: [wrong] }),
    ]);
    const r = await run(["--lock", si.write("pylock.toml", lock.text)]);
    expect(r.code).toBe(1);
    expect(verdicts(r.doc.results)).toEqual(
      names(si.release("locked", "3.0.0")).map((n) => `${n} failed EXPECTATION_MISMATCH`),
    );
    expect(r.doc.results[0]!.failure?.message).toContain("attestation identities");
  });

  it("--download fetches and hashes every locked file", async () => {
    const lock = pylockText(si.indexUrl, [si.lockPackage("locked", "3.0.0")]);
    const r = await run(["--lock", si.write("pylock.toml", lock.text), "--download"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.summary.verified).toBe(2);
    for (const f of si.release("locked", "3.0.0")) expect(si.index.count(si.filePath(f))).toBe(1);
    expect(si.downloads()).toBe(2);
  });

  it("a lock digest the served bytes do not have: ARTIFACT_DIGEST with --download", async () => {
    const wheel = pick("locked", "3.0.0", (f) => f.kind === "wheel");
    const other = sha256Hex("other bytes");
    const lock = pylockText(si.indexUrl, [
      si.lockPackage("locked", "3.0.0", { sha256: (f) => (f === wheel ? other : f.sha256) }),
    ]);
    const path = si.write("pylock.toml", lock.text);

    const downloaded = await run(["--lock", path, "--download"]);
    expect(downloaded.code).toBe(1);
    const w = downloaded.doc.results.find((x) => x.target.filename === wheel.filename)!;
    expect(w.verdict).toBe("failed");
    expect(w.failure?.code).toBe("ARTIFACT_DIGEST");
    expect(w.failure?.message).toContain(wheel.sha256);
    expect(w.failure?.message).toContain(other);
    expect(verdicts(downloaded.doc.results)).toContain(`locked-3.0.0.tar.gz verified`);

    // Without --download the lock's digest is what gets verified: the attestation is for another.
    si.index.resetCounts();
    const pinned = await run(["--lock", path]);
    expect(pinned.code).toBe(1);
    expect(verdicts(pinned.doc.results)).toContain(`${wheel.filename} failed SUBJECT_DIGEST`);
    expect(si.downloads()).toBe(0);
  });
});

describe("editable projects", () => {
  // Regression: an editable `directory` package (uv export always writes the
  // project itself so) was an "error" result, so every such pylock.toml
  // exited 2, while the same project in uv.lock was skipped (exit 0).
  it("an editable directory in pylock.toml does not take the verdict away", async () => {
    const lock = pylockText(si.indexUrl, [si.lockPackage("locked", "3.0.0")], ["my-app"]);
    const path = si.write("pylock.toml", lock.text);
    const r = await run(["--lock", path]);
    expect(r.doc.results.filter((x) => x.verdict === "error")).toEqual([]);
    expect(r.code).toBe(0);
    expect(resultNames(r)).toEqual(names(si.release("locked", "3.0.0")));
    // Reported as skipped, at its line, not silently dropped.
    expect(r.doc.skipped?.map((x) => [x.name, x.origin])).toEqual([
      ["my-app", { file: path, line: lock.lines.get("my-app") }],
    ]);
  });
});

describe("lockfile notes reach the user", () => {
  // BUG (src/pipeline.ts loadLock, the uv.lock branch): the parser's `skipped`
  // list (editable, virtual, workspace members) is dropped, so uv.lock
  // editables vanish while pylock.toml ones are reported in `skipped`.
  it("an editable uv.lock package is reported as skipped, like in pylock.toml", async () => {
    const lock = uvLockText(
      si.indexUrl,
      [si.lockPackage("locked-two", "1.0.0")],
      [{ name: "my-app", version: "0.1.0" }],
    );
    const path = si.write("uv.lock", lock.text);
    const r = await run(["--lock", path]);
    expect(r.code).toBe(0);
    expect(r.doc.skipped?.map((x) => [x.name, x.origin])).toEqual([
      ["my-app", { file: path, line: lock.lines.get("my-app") }],
    ]);
  });

  // BUG (src/pipeline.ts loadLock, the pylock branch): loadPylockFile's
  // `warnings` (PEP 751: tools SHOULD warn on an unknown minor lock-version)
  // are dropped instead of going to onWarning.
  it("a newer minor lock-version is read, with a warning", async () => {
    const lock = pylockText(si.indexUrl, [si.lockPackage("locked-two", "1.0.0")]);
    const path = si.write("pylock.toml", lock.text.replace('"1.0"', '"1.1"'));
    const r = await run(["--lock", path]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^pyprov: warning: .*lock-version 1\.1 is newer than 1\.0/m);
  });
});

describe("uv.lock", () => {
  it("registry packages verify by digest; an editable project is skipped", async () => {
    const lock = uvLockText(
      si.indexUrl,
      [si.lockPackage("locked", "3.0.0"), si.lockPackage("locked-two", "1.0.0")],
      [{ name: "my-app", version: "0.1.0" }],
    );
    const path = si.write("uv.lock", lock.text);
    const r = await run(["--lock", path]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const want = [...si.release("locked", "3.0.0"), ...si.release("locked-two", "1.0.0")];
    expect(resultNames(r)).toEqual(names(want));
    expect(r.doc.results.every((x) => x.verdict === "verified")).toBe(true);
    expect(r.doc.results.some((x) => x.target.filename.includes("my"))).toBe(false);
    const two = r.doc.results.find((x) => x.target.filename.startsWith("locked_two"))!;
    expect(two.target).toMatchObject({
      project: "locked-two",
      version: "1.0.0",
      origin: { file: path, line: lock.lines.get("locked-two") },
    });
    expect(si.downloads()).toBe(0);
  });

  it("--only wheel keeps only the wheels of a lock", async () => {
    const lock = uvLockText(si.indexUrl, [si.lockPackage("locked", "3.0.0")]);
    const r = await run(["--lock", si.write("uv.lock", lock.text), "--only", "wheel"]);
    expect(r.code).toBe(0);
    expect(resultNames(r)).toEqual(["locked-3.0.0-py3-none-any.whl"]);
  });
});

describe("inputs together", () => {
  it("targets, -r and --lock in one run: one result per file, in input order", async () => {
    const req = si.write(
      "requirements.txt",
      requirementsText([{ name: "pinned-b", version: "2.0.0", hashes: [bWheel.sha256] }]).text,
    );
    const lock = si.write(
      "uv.lock",
      uvLockText(si.indexUrl, [si.lockPackage("locked-two", "1.0.0")]).text,
    );
    const r = await run(["loose==1.0.0", "--only", "wheel", "-r", req, "--lock", lock]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.results.map((x) => x.target.filename)).toEqual([
      "loose-1.0.0-py3-none-any.whl",
      bWheel.filename,
      "locked_two-1.0.0-py3-none-any.whl",
    ]);
  });
});
