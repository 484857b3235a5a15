/**
 * Golden outputs of every format for three runs on real data:
 *
 *   sigstore-verified   sigstore-3.6.1.tar.gz from the corpus with its PyPI provenance,
 *                       under a policy pinning its publisher (exit 0)
 *   sigstore-tampered   the same provenance beside a copy of the file with one byte
 *                       changed (SUBJECT_DIGEST, exit 1)
 *   requirements-index  a hash-pinned requirements file through the fake index: the real
 *                       sigstore 3.6.1 (verified), a file without provenance (missing) and
 *                       one whose provenance the index withholds (no verdict, exit 2)
 *
 * Volatile text (corpus and temporary paths, the index's port, versions,
 * times, serial numbers) is normalised. PYPROV_UPDATE_GOLDEN=1 rewrites them.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { casePath, getCase, trustedRootPath } from "../support/corpus.js";
import {
  SyntheticIndex,
  requirementsText,
  sha256Hex,
  type SynthFile,
} from "../support/synthetic-index.js";
import {
  GOLDEN_DIR,
  UPDATE,
  currentVersions,
  expectValidCycloneDx,
  expectValidReport,
  expectValidSarif,
  expectValidVsaLines,
  normalise,
} from "./helpers.js";

const CASE = "tob-sigstore-3.6.1-sdist-pypi-provenance";
const corpus = getCase(CASE);
const ARTIFACT = casePath(CASE, corpus.artifact_filename!);
const PROVENANCE = `${ARTIFACT}.provenance`;
const ROOT = trustedRootPath("production");
const POLICY = "test/report/golden/sigstore.policy.yaml";
const FORMATS = ["human", "lines", "json", "sarif", "vsa", "cyclonedx"] as const;
const EXT: Record<(typeof FORMATS)[number], string> = {
  human: "table.txt",
  lines: "txt",
  json: "json",
  sarif: "sarif",
  vsa: "vsa.jsonl",
  cyclonedx: "cdx.json",
};

const tmp = mkdtempSync(join(tmpdir(), "pyprov-golden-"));

/** A fixed file: the same bytes (and digest) on every run. */
function fixedFile(project: string, version: string, provenance: null | "withheld"): SynthFile {
  const filename = `${project}-${version}.tar.gz`;
  const body = Buffer.from(`${filename}: fixed bytes for golden files\n`);
  return {
    project,
    version,
    kind: "sdist",
    filename,
    body,
    sha256: sha256Hex(body),
    provenance,
    identity: { san: null, extensions: {} },
    fake: { filename, body, provenance, version },
  };
}

const si = new SyntheticIndex();
const real = readFileSync(ARTIFACT);
si.put({
  name: "sigstore",
  files: [
    {
      ...fixedFile("sigstore", "3.6.1", null),
      filename: corpus.artifact_filename!,
      body: real,
      sha256: sha256Hex(real),
      provenance: readFileSync(PROVENANCE),
      fake: {
        filename: corpus.artifact_filename!,
        body: real,
        provenance: readFileSync(PROVENANCE),
        version: "3.6.1",
      },
    },
  ],
});
const beta = si.put({ name: "beta", files: [fixedFile("beta", "1.0.0", null)] }).files[0]!;
const gamma = si.put({ name: "gamma", files: [fixedFile("gamma", "2.0.0", "withheld")] }).files[0]!;

beforeAll(async () => {
  await si.start();
});
afterAll(async () => {
  await si.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface GoldenCase {
  name: string;
  exitCode: number;
  args: () => string[];
}

const CASES: GoldenCase[] = [
  {
    name: "sigstore-verified",
    exitCode: 0,
    args: () => [ARTIFACT, "--policy", POLICY, "--trusted-root", ROOT],
  },
  {
    name: "sigstore-tampered",
    exitCode: 1,
    args: () => {
      const dist = join(tmp, corpus.artifact_filename!);
      const bytes = Buffer.from(real);
      bytes[100] = bytes[100]! ^ 0x01;
      writeFileSync(dist, bytes);
      copyFileSync(PROVENANCE, `${dist}.provenance`);
      return [dist, "--trusted-root", ROOT];
    },
  },
  {
    name: "requirements-index",
    exitCode: 2,
    args: () => {
      const reqs = requirementsText([
        {
          name: "sigstore",
          version: "3.6.1",
          hashes: [corpus.artifact_sha256!],
          via: "-r requirements.in",
        },
        { name: "beta", version: "1.0.0", hashes: [beta.sha256] },
        { name: "gamma", version: "2.0.0", hashes: [gamma.sha256] },
      ]);
      const path = join(tmp, "requirements.txt");
      writeFileSync(path, reqs.text);
      return ["-r", path, "--index-url", si.indexUrl, "--no-cache", "--trusted-root", ROOT];
    },
  },
];

function normalised(text: string): string {
  const base = si.index.baseUrl.replace(/\/$/, "");
  return normalise(text, [
    [pathToFileURL(tmp).href, "file://$TMP"],
    [tmp, "$TMP"],
    [base, "http://index.invalid"],
  ]);
}

describe("golden outputs", () => {
  it("hide versions behind $VERSION (so a release does not churn them)", () => {
    for (const v of currentVersions()) expect(v).toMatch(/^\d+\.\d+\.\d+/);
  });

  for (const c of CASES) {
    for (const format of FORMATS) {
      it(`${c.name} --format ${format}`, async () => {
        const r = await runCli(["verify", ...c.args(), "--format", format]);
        expect(r.code, r.stderr).toBe(c.exitCode);
        if (format === "json") expectValidReport(JSON.parse(r.stdout));
        if (format === "sarif") expectValidSarif(JSON.parse(r.stdout));
        if (format === "vsa") expectValidVsaLines(r.stdout);
        if (format === "cyclonedx") await expectValidCycloneDx(JSON.parse(r.stdout));
        const file = join(GOLDEN_DIR, `${c.name}.${EXT[format]}`);
        const got = normalised(r.stdout);
        if (UPDATE) writeFileSync(file, got);
        expect(got).toBe(readFileSync(file, "utf8"));
      });
    }
  }
});
