/**
 * Index targets end to end through the CLI (in-process) against a FakeIndex on
 * 127.0.0.1: NAME==VERSION, NAME (latest), pypi:FILENAME and file URLs, with
 * genuine synthetic attestations, missing and tampered provenance, both
 * simple-API formats, the Integrity API fallback and one real corpus case.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { casePath, getCase, trustedRootPath } from "../support/corpus.js";
import { runCli } from "../support/cli.js";
import {
  SyntheticIndex,
  sha256Hex,
  verdicts,
  verifyJson,
  type CliJsonRun,
  type SynthFile,
} from "../support/synthetic-index.js";

const si = new SyntheticIndex({
  projects: {
    alpha: [
      { version: "1.0.0" },
      { version: "1.1.0" },
      { version: "2.0.0", yanked: "broken build" },
      { version: "2.1.0rc1" },
    ],
    beta: [
      {
        version: "1.0.0",
        files: [{ kind: "wheel" }, { kind: "sdist", provenance: "none" }],
      },
    ],
    gamma: [{ version: "1.0.0", files: [{ kind: "wheel", provenance: "wrong-digest" }] }],
    // The newest final release has its wheel yanked, its sdist not.
    delta: [
      { version: "1.0.0" },
      { version: "2.0.0", files: [{ kind: "wheel", yanked: "bad wheel" }, { kind: "sdist" }] },
    ],
  },
});

// A real PEP 740 provenance (production Sigstore) served by the fake index.
const CORPUS_CASE = "tob-sigstore-3.6.1-sdist-pypi-provenance";
const corpus = getCase(CORPUS_CASE);
const corpusBody = readFileSync(casePath(CORPUS_CASE, corpus.artifact_filename!));
const corpusProv = readFileSync(casePath(CORPUS_CASE, `${corpus.artifact_filename!}.provenance`));
const corpusFile: SynthFile = {
  project: "sigstore",
  version: "3.6.1",
  kind: "sdist",
  filename: corpus.artifact_filename!,
  body: corpusBody,
  sha256: sha256Hex(corpusBody),
  provenance: corpusProv,
  identity: { san: null, extensions: {} },
  fake: { filename: corpus.artifact_filename!, body: corpusBody, provenance: corpusProv },
};
si.put({ name: "sigstore", files: [corpusFile] });

beforeAll(async () => {
  await si.start();
});
afterAll(async () => {
  await si.close();
});
beforeEach(() => {
  si.index.resetCounts();
  si.index.clearFaults();
  si.index.format = "json";
  si.index.omitProvenanceKey = false;
});

/** Verify with the synthetic root and the fake index, never touching the home cache. */
function run(args: string[], extra: string[] = ["--no-cache"]): Promise<CliJsonRun> {
  return verifyJson([...args, "--index-url", si.indexUrl, "--trusted-root", si.root, ...extra]);
}

const names = (files: { filename: string }[]): string[] => files.map((f) => f.filename).sort();
const resultNames = (r: CliJsonRun): string[] => names(r.doc.results.map((x) => x.target));

describe("NAME==VERSION", () => {
  it("verifies every file of the release, with project, version and URL in the report", async () => {
    const r = await run(["alpha==1.0.0"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const release = si.release("alpha", "1.0.0");
    expect(release.map((f) => f.kind).sort()).toEqual(["sdist", "wheel"]);
    expect(resultNames(r)).toEqual(names(release));
    for (const res of r.doc.results) {
      const f = si.file(res.target.filename);
      expect(res.verdict).toBe("verified");
      expect(res.target).toMatchObject({
        project: "alpha",
        version: "1.0.0",
        url: si.fileUrl(f),
        sha256: f.sha256,
      });
    }
    expect(r.doc.summary).toMatchObject({ total: 2, verified: 2 });
    // One page, one provenance request per file, and no file downloads.
    expect(si.index.count(si.pagePath("alpha"))).toBe(1);
    for (const f of release) expect(si.index.count(si.provenancePath(f))).toBe(1);
    expect(si.downloads()).toBe(0);
  });

  it("--only wheel and --only sdist select one kind", async () => {
    for (const kind of ["wheel", "sdist"] as const) {
      const r = await run(["alpha==1.0.0", "--only", kind]);
      expect(r.code).toBe(0);
      const want = si.release("alpha", "1.0.0").filter((f) => f.kind === kind);
      expect(resultNames(r)).toEqual(names(want));
    }
  });

  it("finds a project written in another case or with other separators", async () => {
    const r = await run(["Alpha==1.0.0", "--only", "wheel"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.results[0]!.target.project).toBe("alpha");
  });
});

describe("NAME (latest release)", () => {
  it("picks the newest non-yanked final release, not a yanked or pre-release one", async () => {
    const r = await run(["alpha"]);
    expect(r.code, r.stderr).toBe(0);
    expect(resultNames(r)).toEqual(names(si.release("alpha", "1.1.0")));
    expect(r.doc.results.every((x) => x.target.version === "1.1.0")).toBe(true);
  });

  it("applies --only before choosing", async () => {
    const r = await run(["alpha", "--only", "sdist"]);
    expect(resultNames(r)).toEqual(["alpha-1.1.0.tar.gz"]);
  });

  // Regression: the version was chosen among non-yanked files, but then every
  // file of it was verified, yanked ones too. PEP 592: a yanked file is
  // ignored unless its version is pinned with ==.
  it("does not verify a yanked file of the chosen release", async () => {
    const r = await run(["delta"]);
    expect(resultNames(r)).toEqual(["delta-2.0.0.tar.gz"]);
    // Pinned with ==, the yanked wheel is a legitimate target.
    const pinned = await run(["delta==2.0.0"]);
    expect(resultNames(pinned)).toEqual(names(si.release("delta", "2.0.0")));
  });
});

describe("single files", () => {
  it("pypi:FILENAME verifies exactly that file", async () => {
    const f = si.release("alpha", "1.1.0").find((x) => x.kind === "sdist")!;
    const r = await run([`pypi:${f.filename}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.results).toHaveLength(1);
    expect(r.doc.results[0]).toMatchObject({
      verdict: "verified",
      target: { filename: f.filename, sha256: f.sha256, project: "alpha", version: "1.1.0" },
    });
  });

  it("a file URL on the index verifies that file, without a 'served from' warning", async () => {
    const f = si.release("alpha", "1.0.0").find((x) => x.kind === "wheel")!;
    const r = await run([si.fileUrl(f)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.results).toHaveLength(1);
    const res = r.doc.results[0]!;
    expect(res.verdict).toBe("verified");
    expect(res.target.url).toBe(si.fileUrl(f));
    expect(res.target.sha256).toBe(f.sha256);
    expect(res.warnings.join("\n")).not.toContain("serves this file");
    expect(si.downloads()).toBe(0);
  });

  it("pypi:FILENAME of a file the index does not list is an error (exit 2)", async () => {
    const r = await run(["pypi:alpha-9.9.9-py3-none-any.whl"]);
    expect(r.code).toBe(2);
    expect(r.doc.results[0]!.error?.code).toBe("INPUT_UNREADABLE");
    expect(r.doc.results[0]!.error?.message).toContain("not listed on the index");
  });
});

describe("missing and tampered provenance", () => {
  it("a file without provenance is 'missing' (NO_ATTESTATIONS): exit 1", async () => {
    const r = await run(["beta==1.0.0"]);
    expect(r.code).toBe(1);
    expect(verdicts(r.doc.results)).toEqual([
      "beta-1.0.0-py3-none-any.whl verified",
      "beta-1.0.0.tar.gz missing NO_ATTESTATIONS",
    ]);
    expect(r.doc.summary).toMatchObject({ verified: 1, missing: 1, failed: 0, errors: 0 });
    // The page said "no provenance": no request is made for it.
    const sdist = si.file("beta-1.0.0.tar.gz");
    expect(si.index.count(si.provenancePath(sdist))).toBe(0);
  });

  it("--allow-missing: exit 0, the file still reported as missing", async () => {
    const r = await run(["beta==1.0.0", "--allow-missing"]);
    expect(r.code).toBe(0);
    expect(r.doc.exitCode).toBe(0);
    const sdist = r.doc.results.find((x) => x.target.filename === "beta-1.0.0.tar.gz")!;
    expect(sdist.verdict).toBe("missing");
    expect(sdist.failure?.code).toBe("NO_ATTESTATIONS");
    const human = await runCli([
      "verify",
      "beta==1.0.0",
      "--format",
      "lines",
      "--allow-missing",
      "--no-cache",
      "--index-url",
      si.indexUrl,
      "--trusted-root",
      si.root,
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("- beta-1.0.0.tar.gz  no provenance");
    expect(human.stdout).toContain("1 verified, 0 failed, 1 without provenance");
  });

  it("provenance attesting another digest fails SUBJECT_DIGEST: exit 1", async () => {
    const r = await run(["gamma==1.0.0"]);
    expect(r.code).toBe(1);
    expect(verdicts(r.doc.results)).toEqual(["gamma-1.0.0-py3-none-any.whl failed SUBJECT_DIGEST"]);
  });
});

describe("index formats", () => {
  const targets = ["alpha==1.0.0", "beta==1.0.0", "gamma==1.0.0"];
  const expected = [
    "alpha-1.0.0-py3-none-any.whl verified",
    "alpha-1.0.0.tar.gz verified",
    "beta-1.0.0-py3-none-any.whl verified",
    "beta-1.0.0.tar.gz missing NO_ATTESTATIONS",
    "gamma-1.0.0-py3-none-any.whl failed SUBJECT_DIGEST",
  ];

  it("the JSON and the HTML simple API give the same verdicts", async () => {
    const json = await run(targets);
    si.index.format = "html";
    const html = await run(targets);
    expect(verdicts(json.doc.results)).toEqual(expected);
    expect(verdicts(html.doc.results)).toEqual(expected);
    expect(html.code).toBe(1);
    // Same digests and URLs, read from the HTML anchors.
    const key = (r: CliJsonRun) =>
      r.doc.results.map((x) => `${x.target.filename} ${x.target.sha256} ${x.target.url}`).sort();
    expect(key(html)).toEqual(key(json));
  });

  for (const format of ["json", "html"] as const) {
    it(`an index without the provenance key falls back to the Integrity API (${format})`, async () => {
      si.index.format = format;
      si.index.omitProvenanceKey = true;
      const r = await run(targets);
      expect(verdicts(r.doc.results)).toEqual(expected);
      // The page no longer says "none" for beta's sdist: the Integrity API is asked, and says 404.
      const sdist = si.file("beta-1.0.0.tar.gz");
      expect(si.index.count(si.provenancePath(sdist))).toBe(1);
      for (const f of si.release("alpha", "1.0.0")) {
        expect(si.index.count(si.provenancePath(f))).toBe(1);
      }
      const missing = r.doc.results.find((x) => x.target.filename === sdist.filename)!;
      expect(missing.failure?.message).toContain("404");
    });
  }
});

describe("real data", () => {
  it(`${CORPUS_CASE}: real provenance served by the index verifies (production root)`, async () => {
    const r = await verifyJson([
      "sigstore==3.6.1",
      "--index-url",
      si.indexUrl,
      "--trusted-root",
      trustedRootPath("production"),
      "--repository",
      "sigstore/sigstore-python",
      "--workflow",
      "release.yml",
      "--no-cache",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.doc.results).toHaveLength(1);
    expect(r.doc.results[0]).toMatchObject({
      verdict: "verified",
      target: { filename: corpus.artifact_filename, sha256: corpus.artifact_sha256 },
    });
    expect(si.index.count(si.provenancePath(corpusFile))).toBe(1);
  });

  it("the same provenance against the synthetic root does not verify", async () => {
    const r = await run(["sigstore==3.6.1"]);
    expect(r.code).toBe(1);
    expect(r.doc.results[0]!.verdict).toBe("failed");
  });
});

describe("errors", () => {
  it("a project the index does not have: exit 2, INPUT_UNREADABLE, no verdict", async () => {
    const r = await run(["no-such-project==1.0"]);
    expect(r.code).toBe(2);
    expect(r.doc.results).toHaveLength(1);
    expect(r.doc.results[0]).toMatchObject({
      verdict: "error",
      error: { code: "INPUT_UNREADABLE" },
    });
    expect(r.doc.results[0]!.error?.message).toContain('project "no-such-project" not found');
    // Human format: the reason on stderr, one line, no stack.
    const human = await runCli(
      ["verify", "no-such-project==1.0", "--no-cache"].concat([
        "--index-url",
        si.indexUrl,
        "--trusted-root",
        si.root,
      ]),
    );
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(
      /^pyprov: project "no-such-project" not found on http:\/\/127\.0\.0\.1:\d+\/simple\/\n$/,
    );
  });

  // Regression: `new URL()` / decodeURIComponent threw plain errors, reported as INTERNAL.
  it("a malformed URL target is a usage error, not an internal one", async () => {
    for (const url of [
      "https://exa mple.com/x.whl",
      `${si.index.baseUrl}files/alpha/%E0%A4%A.whl`,
    ]) {
      const r = await runCli(
        ["verify", url, "--format", "json", "--no-cache"].concat([
          "--index-url",
          si.indexUrl,
          "--trusted-root",
          si.root,
        ]),
      );
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).not.toMatch(/INTERNAL|internal error/);
    }
  });

  it("a missing project does not hide the verdicts of the other targets", async () => {
    const r = await run(["no-such-project", "alpha==1.0.0", "--only", "wheel"]);
    expect(r.code).toBe(2);
    expect(verdicts(r.doc.results)).toEqual([
      "alpha-1.0.0-py3-none-any.whl verified",
      "no-such-project error INPUT_UNREADABLE",
    ]);
  });
});
