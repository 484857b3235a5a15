/**
 * Every PEP 740 case in ../shared/corpus/MANIFEST.json behaves as its
 * `expected` says, through the CLI and through the library.
 */
import { describe, expect, it } from "vitest";
import { verifyDistributions } from "../../src/pipeline.js";
import { casePath, loadManifest, trustedRootPath, type ManifestCase } from "../support/corpus.js";
import { runCli, spawnCli } from "../support/cli.js";

const PEP740_KINDS = new Set(["attestation", "provenance", "slsa-attestation"]);
const cases = loadManifest().filter((c) => c.pep740 === true);

function provenanceArgs(c: ManifestCase): string[] {
  const args: string[] = [];
  for (const f of c.files.filter((f) => PEP740_KINDS.has(f.kind))) {
    args.push(f.kind === "provenance" ? "--provenance" : "--attestation", casePath(c.case, f.file));
  }
  return args;
}

function targetArgs(c: ManifestCase): string[] {
  return c.artifact_present
    ? [casePath(c.case, c.artifact_filename!)]
    : ["--filename", c.artifact_filename!, "--sha256", c.artifact_sha256!];
}

function rootArgs(c: ManifestCase): string[] {
  return ["--trusted-root", trustedRootPath(c.sigstore_instance as "production" | "staging")];
}

describe("corpus cases through the CLI", () => {
  it("has PEP 740 cases to test", () => {
    expect(cases.length).toBeGreaterThanOrEqual(14);
  });

  for (const c of cases) {
    it(`${c.case}: ${c.expected}`, async () => {
      expect(c.expected).toBe("valid");
      const r = await runCli([
        "verify",
        ...targetArgs(c),
        ...provenanceArgs(c),
        ...rootArgs(c),
        "--format",
        "json",
      ]);
      const doc = JSON.parse(r.stdout) as {
        exitCode: number;
        results: {
          verdict: string;
          attestations: { ok: boolean; subject: { sha256: string } }[];
        }[];
      };
      expect(r.stderr).toBe("");
      expect(doc.results).toHaveLength(1);
      expect(doc.results[0]!.verdict).toBe("verified");
      for (const a of doc.results[0]!.attestations) {
        expect(a.ok).toBe(true);
        expect(a.subject.sha256).toBe(c.artifact_sha256);
      }
      expect(r.code).toBe(0);
    });

    if (c.identity && c.oidc_issuer) {
      it(`${c.case}: the manifest's identity and issuer are met; another issuer is not`, async () => {
        const base = ["verify", ...targetArgs(c), ...provenanceArgs(c), ...rootArgs(c)];
        const ok = await runCli([...base, "--identity", c.identity!, "--issuer", c.oidc_issuer!]);
        expect(ok.code).toBe(0);
        const bad = await runCli([...base, "--issuer", "https://issuer.invalid"]);
        expect(bad.code).toBe(1);
        expect(bad.stdout).toMatch(/issuer/);
      });
    }

    const repoUri = c.certificate_extensions["1.3.6.1.4.1.57264.1.12"];
    const configUri = c.certificate_extensions["1.3.6.1.4.1.57264.1.18"];
    if (repoUri?.startsWith("https://github.com/") && configUri) {
      const repo = repoUri.slice("https://github.com/".length);
      const workflow = configUri.split("@")[0]!.split("/").at(-1)!;
      it(`${c.case}: expects --repository ${repo} --workflow ${workflow}`, async () => {
        const base = ["verify", ...targetArgs(c), ...provenanceArgs(c), ...rootArgs(c)];
        const ok = await runCli([...base, "--repository", repo, "--workflow", workflow]);
        expect(ok.stdout).toContain(`github:${repo}`);
        expect(ok.code).toBe(0);
        const wrongRepo = await runCli([...base, "--repository", `${repo}-evil`]);
        expect(wrongRepo.code).toBe(1);
        expect(wrongRepo.stdout).toContain(`${repo}-evil`);
        // GitHub owner and repository names ignore case; the workflow path does not.
        const otherCase = await runCli([
          ...base,
          ...["--repository", repo.toUpperCase(), "--workflow", workflow],
        ]);
        expect(otherCase.code, otherCase.stdout).toBe(0);
        const wrongCase = await runCli([...base, "--workflow", workflow.toUpperCase()]);
        expect(wrongCase.code).toBe(1);
        // The same path as a GitLab project is another repository.
        const gitlab = await runCli([...base, "--repository", `gitlab:${repo}`]);
        expect(gitlab.code).toBe(1);
        expect(gitlab.stdout).toContain("is a GitLab project");
        const wrongWorkflow = await runCli([...base, "--workflow", "other.yml"]);
        expect(wrongWorkflow.code).toBe(1);
      });
    }
  }
});

describe("corpus cases through the library", () => {
  for (const c of cases) {
    it(`${c.case}`, async () => {
      const files = c.files.filter((f) => PEP740_KINDS.has(f.kind));
      const prov = files.find((f) => f.kind === "provenance");
      const run = await verifyDistributions({
        targets: c.artifact_present
          ? [{ kind: "path", path: casePath(c.case, c.artifact_filename!) }]
          : [{ kind: "digest", filename: c.artifact_filename!, sha256: c.artifact_sha256! }],
        provenance: prov ? casePath(c.case, prov.file) : undefined,
        attestations: files
          .filter((f) => f.kind !== "provenance")
          .map((f) => casePath(c.case, f.file)),
        trustedRoot: trustedRootPath(c.sigstore_instance as "production" | "staging"),
      });
      expect(run.exitCode).toBe(0);
      const [result] = run.results;
      expect(result!.verdict).toBe("verified");
      expect(result!.target.sha256).toBe(c.artifact_sha256);
      // The identity shown comes from the certificate, and matches the manifest.
      expect(result!.identity?.issuer).toBe(c.oidc_issuer);
      expect(result!.identity?.identity).toBe(c.identity);
    });
  }
});

describe("sidecar discovery", () => {
  it("finds DIST.provenance beside a real distribution", async () => {
    const c = cases.find((x) => x.case === "tob-sigstore-3.6.1-sdist-pypi-provenance")!;
    const r = await runCli(["verify", casePath(c.case, c.artifact_filename!), "--format", "lines"]);
    expect(r.stdout).toMatch(
      /^✓ sigstore-3\.6\.1\.tar\.gz +github:sigstore\/sigstore-python workflow=\.github\/workflows\/release\.yml ref=refs\/tags\/v3\.6\.1 env=- {2}L2$/m,
    );
    expect(r.code).toBe(0);
  });

  it("finds DIST.publish.attestation and DIST.slsa.attestation together", async () => {
    const c = cases.find((x) => x.case === "tob-pypi_attestations-0.0.19-sdist")!;
    const r = await runCli(["verify", casePath(c.case, c.artifact_filename!), "--format", "json"]);
    const doc = JSON.parse(r.stdout) as {
      results: { attestations: { predicateType: string }[] }[];
    };
    expect(doc.results[0]!.attestations.map((a) => a.predicateType).sort()).toEqual([
      "https://docs.pypi.org/attestations/publish/v1",
      "https://slsa.dev/provenance/v1",
    ]);
    expect(r.code).toBe(0);
  });
});

describe("the real binary", () => {
  it("exits 0 and prints a table row per file for two distributions (the default human view)", () => {
    const a = cases.find((x) => x.case === "tob-sigstore-3.6.1-sdist-pypi-provenance")!;
    const b = cases.find((x) => x.case === "pep740plugin-abi3info-2024.10.3-whl-pypi-provenance")!;
    const r = spawnCli([
      "verify",
      casePath(a.case, a.artifact_filename!),
      casePath(b.case, b.artifact_filename!),
    ]);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PACKAGE +VERSION +FILE +SLSA +PUBLISHER +VERDICT$/);
    expect(lines[1]).toMatch(
      /^sigstore +3\.6\.1 +sigstore-3\.6\.1\.tar\.gz +L2 +github:sigstore\/sigstore-python release\.yml +✓ verified$/,
    );
    expect(lines[2]).toMatch(
      /^abi3info +2024\.10\.3 +abi3info-2024\.10\.3-py3-none-any\.whl +L2 +github:woodruffw\/abi3info/,
    );
    expect(lines.at(-1)).toBe("2 verified, 0 failed");
    expect(r.code).toBe(0);
  });
});
