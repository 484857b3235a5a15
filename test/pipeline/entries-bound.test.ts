/**
 * Issue 12, items 2–5: every hash pin counts, every entry is bound to its
 * file, non-index requirements fail, and the index an entry names is the one
 * checked. CLI in-process against synthetic indexes on 127.0.0.1.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import {
  SyntheticIndex,
  pylockText,
  uvLockText,
  verdicts,
  verifyJson,
  type CliJsonRun,
  type SynthFile,
} from "../support/synthetic-index.js";

const si = new SyntheticIndex({
  projects: {
    "pinned-a": [{ version: "1.0.0", files: [{ kind: "wheel" }, { kind: "sdist" }] }],
    "pinned-b": [{ version: "2.0.0", files: [{ kind: "wheel" }] }],
    locked: [{ version: "3.0.0" }],
  },
});
/** A second index: a private one a requirements file or lock may name. */
const other = new SyntheticIndex({
  ss: si.ss,
  projects: { "private-pkg": [{ version: "1.0.0", files: [{ kind: "wheel" }] }] },
});

beforeAll(async () => {
  await si.start();
  await other.start();
  // A hostile page: project "hostile" lists pinned-b's real file.
  si.index.setProject("hostile", { files: si.release("pinned-b", "2.0.0").map((f) => f.fake) });
});
afterAll(async () => {
  await si.close();
  await other.close();
});
beforeEach(() => {
  si.index.resetCounts();
  other.index.resetCounts();
});

const run = (args: string[], extra: string[] = []): Promise<CliJsonRun> =>
  verifyJson([
    ...args,
    "--index-url",
    si.indexUrl,
    "--trusted-root",
    si.root,
    "--no-cache",
    ...extra,
  ]);
/** Without --index-url: the entries' own indexes decide. */
const runOwn = (args: string[]): Promise<CliJsonRun> =>
  verifyJson([...args, "--trusted-root", si.root, "--no-cache"]);

const pick = (project: string, version: string, pred: (f: SynthFile) => boolean = () => true) =>
  si.release(project, version).find(pred)!;
const aWheel = pick("pinned-a", "1.0.0", (f) => f.kind === "wheel");
const aSdist = pick("pinned-a", "1.0.0", (f) => f.kind === "sdist");
const bWheel = pick("pinned-b", "2.0.0");
const digest = (alg: string, f: SynthFile) => createHash(alg).update(f.body).digest("hex");

describe("every hash pin counts (sha384, sha512)", () => {
  it("a sha512-only pin is verified by downloading and hashing, with no false 'no --hash' warning", async () => {
    const path = si.write(
      "requirements.txt",
      `pinned-a==1.0.0 --hash=sha512:${digest("sha512", aWheel)}\n`,
    );
    const r = await run(["-r", path]);
    expect(r.code).toBe(0);
    expect(verdicts(r.doc.results)).toEqual([`${aWheel.filename} verified`]);
    expect(r.doc.results[0]!.warnings.join("\n")).not.toMatch(/no --hash/);
    // Both files of the release were hashed to find the pinned one.
    expect(si.downloads()).toBe(2);
  });

  it("a sha256 pin beside a sha384 pin of another file: both files are verified", async () => {
    const path = si.write(
      "requirements.txt",
      `pinned-a==1.0.0 --hash=sha256:${aWheel.sha256} --hash=sha384:${digest("sha384", aSdist)}\n`,
    );
    const r = await run(["-r", path]);
    expect(verdicts(r.doc.results)).toEqual(
      [`${aWheel.filename} verified`, `${aSdist.filename} verified`].sort(),
    );
    expect(r.code).toBe(0);
  });

  it("a sha512 pin no file has is an error for that entry (exit 2)", async () => {
    const path = si.write("requirements.txt", `pinned-a==1.0.0 --hash=sha512:${"ab".repeat(64)}\n`);
    const r = await run(["-r", path]);
    expect(r.code).toBe(2);
    expect(r.doc.results.map((x) => x.error?.message)).toEqual([
      `pinned-a: no file on the index has the required sha512 ${"ab".repeat(64)}`,
    ]);
  });

  it("a sha512 pin without an exact version is an error naming the line", async () => {
    const path = si.write(
      "requirements.txt",
      `# comment\npinned-a>=1 --hash=sha512:${digest("sha512", aWheel)}\n`,
    );
    const r = await run(["-r", path]);
    expect(r.code).toBe(2);
    expect(r.doc.results[0]!.error?.message).toMatch(
      /line 2: sha512 pins of pinned-a can only be checked with an exact == version/,
    );
  });

  it("--offline cannot check a sha512 pin: an error, never a pass", async () => {
    const path = si.write(
      "requirements.txt",
      `pinned-a==1.0.0 --hash=sha512:${digest("sha512", aWheel)}\n`,
    );
    const r = await run(["-r", path], ["--offline"]);
    expect(r.code).toBe(2);
  });
});

describe("an entry is bound to its file", () => {
  it("a pylock entry naming one project but pointing at another's file fails ENTRY_MISMATCH", async () => {
    const lock = pylockText(si.indexUrl, [
      {
        name: "locked",
        version: "3.0.0",
        wheels: [{ filename: bWheel.filename, url: si.fileUrl(bWheel), sha256: bWheel.sha256 }],
      },
    ]);
    const r = await run(["--lock", si.write("pylock.toml", lock.text)]);
    expect(r.code).toBe(1);
    expect(verdicts(r.doc.results)).toEqual([`${bWheel.filename} failed ENTRY_MISMATCH`]);
    expect(r.doc.results[0]!.failure?.message).toContain("a file of pinned-b 2.0.0");
    // Nothing was fetched for it: the entry fails before any provenance is read.
    expect(si.provenanceRequests()).toBe(0);
  });

  it("a lock file whose name differs from its URL's is malformed (the installer uses the URL's)", async () => {
    const lock = pylockText(si.indexUrl, [
      {
        name: "pinned-b",
        version: "2.0.0",
        wheels: [{ filename: bWheel.filename, url: si.fileUrl(aWheel), sha256: bWheel.sha256 }],
      },
    ]);
    const r = await run(["--lock", si.write("pylock.toml", lock.text)]);
    expect(r.code).toBe(2);
    expect(r.doc.results[0]!.error?.message).toContain(`but its URL names "${aWheel.filename}"`);
  });

  it("a lock entry with the right name but another version fails too", async () => {
    const lock = uvLockText(si.indexUrl, [
      {
        name: "pinned-b",
        version: "9.9.9",
        wheels: [{ filename: bWheel.filename, url: si.fileUrl(bWheel), sha256: bWheel.sha256 }],
      },
    ]);
    const r = await run(["--lock", si.write("uv.lock", lock.text)]);
    expect(r.code).toBe(1);
    expect(verdicts(r.doc.results)).toEqual([`${bWheel.filename} failed ENTRY_MISMATCH`]);
  });

  it("a hash-pinned requirement whose page lists another project's file with that digest fails", async () => {
    const path = si.write("requirements.txt", `hostile==2.0.0 --hash=sha256:${bWheel.sha256}\n`);
    const r = await run(["-r", path]);
    expect(r.code).toBe(1);
    expect(verdicts(r.doc.results)).toEqual([`${bWheel.filename} failed ENTRY_MISMATCH`]);
    // With a warm cache that knows the digest as pinned-b's, still a failure.
    const cache = si.freshCacheDir();
    const warm = ["--index-url", si.indexUrl, "--trusted-root", si.root, "--cache-dir", cache];
    await verifyJson([
      "-r",
      si.write("r2.txt", `pinned-b==2.0.0 --hash=sha256:${bWheel.sha256}\n`),
      ...warm,
    ]);
    const again = await verifyJson(["-r", path, ...warm]);
    expect(again.code).toBe(1);
    expect(verdicts(again.doc.results)).toEqual([`${bWheel.filename} failed ENTRY_MISMATCH`]);
  });

  it("the policy rule is the installed package's, not the file name's", async () => {
    const policy = si.write(
      "policy.json",
      JSON.stringify({ version: 1, packages: { locked: { require_attestation: false } } }),
    );
    const lock = pylockText(si.indexUrl, [
      {
        name: "locked",
        version: "3.0.0",
        wheels: [{ filename: bWheel.filename, url: si.fileUrl(bWheel), sha256: bWheel.sha256 }],
      },
    ]);
    const r = await run(["--lock", si.write("pylock.toml", lock.text), "--policy", policy]);
    const doc = JSON.parse(r.stdout) as {
      results: { policy?: { package?: string; rule?: string } }[];
    };
    expect(doc.results.map((x) => [x.policy?.package, x.policy?.rule])).toEqual([
      ["locked", "locked"],
    ]);
    expect(r.code).toBe(1);
  });
});

describe("direct URL, VCS and editable requirements are not a pass", () => {
  const req = () =>
    si.write(
      "requirements.txt",
      [
        `pinned-b==2.0.0 --hash=sha256:${bWheel.sha256}`,
        "direct @ https://example.invalid/direct-1.0-py3-none-any.whl",
        "-e git+https://example.invalid/repo.git#egg=vcs-pkg",
      ].join("\n") + "\n",
    );

  it("fail by default (exit 1), even with --allow-missing, at their lines", async () => {
    const path = req();
    for (const extra of [[], ["--allow-missing"]]) {
      const r = await run(["-r", path], extra);
      expect(r.code).toBe(1);
      const bad = r.doc.results.filter((x) => x.failure?.code === "NOT_FROM_INDEX");
      expect(bad.map((x) => [x.target.project, x.target.origin?.line])).toEqual([
        ["direct", 2],
        ["vcs-pkg", 3],
      ]);
    }
  });

  it("appear in SARIF as results", async () => {
    const r = await runCli([
      "verify",
      "-r",
      req(),
      "--index-url",
      si.indexUrl,
      "--trusted-root",
      si.root,
      "--no-cache",
      "--format",
      "sarif",
    ]);
    const sarif = JSON.parse(r.stdout) as {
      runs: { results: { ruleId: string; level: string }[] }[];
    };
    const rules = sarif.runs[0]!.results.map((x) => `${x.ruleId} ${x.level}`);
    expect(rules.filter((x) => x.startsWith("NOT_FROM_INDEX"))).toEqual([
      "NOT_FROM_INDEX error",
      "NOT_FROM_INDEX error",
    ]);
  });

  it("only a policy exception naming the package exempts them; require_attestation: false does not", async () => {
    const path = req();
    const loose = si.write(
      "loose.json",
      JSON.stringify({ version: 1, default: { require_attestation: false } }),
    );
    expect((await run(["-r", path, "--policy", loose])).code).toBe(1);
    const excepted = si.write(
      "except.json",
      JSON.stringify({
        version: 1,
        exceptions: [
          { package: "direct", reason: "vendored build", expires: "2099-12-31" },
          { package: "vcs-pkg", reason: "fork until upstream releases", expires: "2099-12-31" },
        ],
      }),
    );
    const r = await run(["-r", path, "--policy", excepted]);
    expect(r.code).toBe(0);
    const warned = r.doc.results.filter((x) => x.failure?.code === "NOT_FROM_INDEX");
    expect(
      warned.every((x) =>
        x.warnings.some((w) =>
          /waived by exception for direct|waived by exception for vcs-pkg/.test(w),
        ),
      ),
    ).toBe(true);
    // An exception for one package does not cover the other.
    const one = si.write(
      "one.json",
      JSON.stringify({
        version: 1,
        exceptions: [{ package: "direct", reason: "r", expires: "2099-12-31" }],
      }),
    );
    expect((await run(["-r", path, "--policy", one])).code).toBe(1);
  });

  it("an editable uv.lock package outside the project fails; the project itself is skipped", async () => {
    const lock = uvLockText(
      si.indexUrl,
      [si.lockPackage("locked", "3.0.0")],
      [
        { name: "my-app", version: "0.1.0" },
        { name: "sibling", version: "0.1.0", path: "../sibling" },
      ],
    );
    const r = await run(["--lock", si.write("uv.lock", lock.text)]);
    expect(r.code).toBe(1);
    expect(r.doc.skipped?.map((s) => s.name)).toEqual(["my-app"]);
    expect(
      r.doc.results
        .filter((x) => x.failure?.code === "NOT_FROM_INDEX")
        .map((x) => x.target.project),
    ).toEqual(["sibling"]);
  });
});

describe("the index a file names is the index checked", () => {
  const privWheel = other.release("private-pkg", "1.0.0")[0]!;

  it("a requirements file's --index-url is where its entries are looked up", async () => {
    const path = si.write(
      "requirements.txt",
      `--index-url ${other.indexUrl}\nprivate-pkg==1.0.0 --hash=sha256:${privWheel.sha256}\n`,
    );
    const r = await runOwn(["-r", path]);
    expect(verdicts(r.doc.results)).toEqual([`${privWheel.filename} verified`]);
    expect(other.index.count(other.pagePath("private-pkg"))).toBe(1);
    expect(r.code).toBe(0);
  });

  it("a pylock `index` and a uv.lock `source.registry` are where their files are looked up", async () => {
    const pkg = other.lockPackage("private-pkg", "1.0.0");
    for (const [name, text] of [
      ["pylock.toml", pylockText(other.indexUrl, [pkg]).text],
      ["uv.lock", uvLockText(other.indexUrl, [pkg]).text],
    ] as const) {
      other.index.resetCounts();
      const r = await runOwn(["--lock", si.write(name, text)]);
      expect(verdicts(r.doc.results)).toEqual([`${privWheel.filename} verified`]);
      expect(other.provenanceRequests()).toBe(1);
    }
  });

  it("--index-url overrides the entry's index, and the report says so", async () => {
    const lock = pylockText(other.indexUrl, [si.lockPackage("locked", "3.0.0")]);
    const r = await run(["--lock", si.write("pylock.toml", lock.text)]);
    expect(r.code).toBe(0);
    for (const x of r.doc.results) {
      expect(x.warnings.join("\n")).toContain(
        `looked up on --index-url ${si.indexUrl}, not on the index the entry names (${other.indexUrl})`,
      );
    }
    expect(other.provenanceRequests()).toBe(0);
  });

  it("an unpinned requirement in a file with an extra index fails (dependency confusion)", async () => {
    const path = si.write(
      "requirements.txt",
      `--extra-index-url ${other.indexUrl}\npinned-b==2.0.0\n`,
    );
    const r = await run(["-r", path]);
    expect(r.code).toBe(1);
    expect(verdicts(r.doc.results)).toEqual(["pinned-b failed INDEX_AMBIGUOUS"]);
    expect(r.doc.results[0]!.failure?.message).toContain(`--extra-index-url ${other.indexUrl}`);
  });

  it("an unpinned requirement with --find-links fails too", async () => {
    const path = si.write("requirements.txt", `--find-links ./wheels\npinned-b==2.0.0\n`);
    const r = await run(["-r", path]);
    expect(verdicts(r.doc.results)).toEqual(["pinned-b failed INDEX_AMBIGUOUS"]);
  });

  it("a hash pin found only on the extra index is verified there", async () => {
    const path = si.write(
      "requirements.txt",
      `--extra-index-url ${other.indexUrl}\nprivate-pkg==1.0.0 --hash=sha256:${privWheel.sha256}\n`,
    );
    const r = await run(["-r", path]);
    expect(verdicts(r.doc.results)).toEqual([`${privWheel.filename} verified`]);
    expect(other.provenanceRequests()).toBe(1);
    expect(r.code).toBe(0);
  });
});
