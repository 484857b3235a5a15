/**
 * `--repository` names its platform, through the CLI: a bare OWNER/NAME is a
 * GitHub repository, GitLab needs `gitlab:` or its URL, anything else is a
 * one-line usage error; `--workflow` is read in that platform only. Names
 * compare as the platform compares them, on a genuine file whose index
 * record names the repository in another case.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { casePath, trustedRootPath } from "../support/corpus.js";
import { gitlabIdentity } from "../support/sigstore/index.js";
import { Workspace } from "../support/synthetic.js";

const ROOT = ["--trusted-root", trustedRootPath("production")];
const GITLAB_CASE = "tob-gitlab_oidc_project-0.0.3-sdist";
const GITLAB_DIST = casePath(GITLAB_CASE, "gitlab_oidc_project-0.0.3.tar.gz");
const GITLAB_URI = "https://gitlab.com/facutuesca/gitlab-oidc-project";

const tmp = mkdtempSync(join(tmpdir(), "pyprov-repository-"));
const ws = new Workspace();
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  ws.cleanup();
});

const verifyGitLab = (args: string[]) => runCli(["verify", GITLAB_DIST, ...ROOT, ...args]);

describe("the real GitLab attestation (facutuesca/gitlab-oidc-project, .gitlab-ci.yml)", () => {
  it("a bare OWNER/NAME is a GitHub repository: the GitLab attestation fails it (exit 1)", async () => {
    const r = await verifyGitLab([
      ...["--repository", "facutuesca/gitlab-oidc-project", "--workflow", ".gitlab-ci.yml"],
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `"facutuesca/gitlab-oidc-project" is a GitHub repository, but the certificate is not from GitHub Actions: issuer "https://gitlab.com", source repository "${GITLAB_URI}"`,
    );
    expect(r.stdout).toContain(
      'the workflow is expected in a GitHub repository, but issuer "https://gitlab.com" is GitLab\'s',
    );
  });

  it.each([
    "gitlab:facutuesca/gitlab-oidc-project",
    GITLAB_URI,
    "gitlab:FacuTuesca/GitLab-OIDC-Project", // GitLab project paths ignore case
  ])("--repository %s --workflow .gitlab-ci.yml is met (exit 0)", async (repository) => {
    const r = await verifyGitLab(["--repository", repository, "--workflow", ".gitlab-ci.yml"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it.each([
    ["https://gitlab.example.com/facutuesca/gitlab-oidc-project", "only github.com and gitlab.com"],
    ["gitlab:facutuesca", "a GitLab project is GROUP/[SUBGROUP/...]PROJECT"],
    ["github.com/facutuesca/gitlab-oidc-project", "a GitHub repository is OWNER/NAME"],
  ])("--repository %s is a usage error: exit 2, one line, nothing verified", async (value, why) => {
    const r = await verifyGitLab(["--repository", value]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^pyprov: --repository "[^\n]*\n$/);
    expect(r.stderr).toContain(why);
    expect(r.stderr).toContain("gitlab:GROUP/PROJECT or https://gitlab.com/GROUP/PROJECT");
  });
});

describe("a GitLab attestation minted for pypa/sampleproject with CI file release.yml", () => {
  const identity = gitlabIdentity({
    project: "pypa/sampleproject",
    filepath: "release.yml",
    ref: "refs/tags/v4.0.0",
  });
  const dist = ws.attested(identity);

  it("does not meet --repository pypa/sampleproject --workflow release.yml (GitHub)", async () => {
    const run = await ws.expectFailed(
      [dist.path, "--repository", "pypa/sampleproject", "--workflow", "release.yml"],
      "EXPECTATION_MISMATCH",
      '"pypa/sampleproject" is a GitHub repository, but the certificate is not from GitHub Actions',
    );
    expect(run.doc.results[0]!.failure?.message).toContain(
      "the workflow is expected in a GitHub repository",
    );
  });

  it("meets gitlab:pypa/sampleproject with the same workflow", async () => {
    await ws.expectVerified([
      ...[dist.path, "--repository", "gitlab:pypa/sampleproject", "--workflow", "release.yml"],
    ]);
  });
});

describe("a genuine file whose index record names the repository in another case", () => {
  const CASE = "tob-sigstore-3.6.1-sdist-pypi-provenance";
  const dist = casePath(CASE, "sigstore-3.6.1.tar.gz");
  const original = JSON.parse(
    readFileSync(casePath(CASE, "sigstore-3.6.1.tar.gz.provenance"), "utf8"),
  ) as { attestation_bundles: { publisher: Record<string, unknown> }[] };
  // The publisher record is unsigned index metadata: rewriting it leaves the signatures intact.
  for (const b of original.attestation_bundles) b.publisher.repository = "Sigstore/Sigstore-Python";
  const provenance = join(tmp, "sigstore-3.6.1.tar.gz.provenance");
  writeFileSync(provenance, JSON.stringify(original));

  it("verifies: GitHub owner and repository names ignore case (the certificate says sigstore/sigstore-python)", async () => {
    const r = await runCli(["verify", dist, "--provenance", provenance, ...ROOT]);
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
  });

  it("--repository Sigstore/Sigstore-Python is met; another repository is not", async () => {
    const base = ["verify", dist, "--provenance", provenance, ...ROOT];
    const ok = await runCli([...base, "--repository", "Sigstore/Sigstore-Python"]);
    expect(ok.code, ok.stdout).toBe(0);
    const other = await runCli([...base, "--repository", "Sigstore/Sigstore-Pythons"]);
    expect(other.code).toBe(1);
  });
});
