/**
 * The whole pipeline (CLI and library) on synthetic but cryptographically real
 * attestations, for every kind of signing identity: GitHub (hosted,
 * reusable workflow, self-hosted), GitLab and Google, with the user's
 * expectations. See also synthetic-claims (publisher object, statement,
 * Rekor flavours), synthetic-faults and synthetic-multi.
 */
import { afterAll, describe, expect, it } from "vitest";
import { verifyDistributions } from "../../src/pipeline.js";
import {
  GITHUB_ISSUER,
  GITLAB_ISSUER,
  GOOGLE_ISSUER,
  githubIdentity,
  githubReusableIdentity,
  githubSelfHostedIdentity,
  gitlabIdentity,
  googleIdentity,
} from "../support/sigstore/index.js";
import { ACME_GITHUB, ACME_LINE, ACME_SAN, DIST_NAME, Workspace } from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

describe("GitHub Actions, github-hosted, environment pypi", () => {
  const dist = ws.attested();

  it("verifies through the CLI, with the identity on the human line", async () => {
    const r = await ws.verify([dist.path]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✓ ${DIST_NAME}  ${ACME_LINE}  L2\n1 verified, 0 failed\n`);
  });

  it("verifies through verifyDistributions", async () => {
    const run = await verifyDistributions({
      targets: [{ kind: "path", path: dist.path }],
      trustedRoot: ws.root,
    });
    expect(run.exitCode).toBe(0);
    const r = run.results[0]!;
    expect(r.verdict).toBe("verified");
    expect(r.target).toEqual({ filename: DIST_NAME, sha256: dist.sha256, path: dist.path });
    expect(r.identity).toMatchObject({
      kind: "github",
      issuer: GITHUB_ISSUER,
      repository: "acme/pkg",
      workflow: ".github/workflows/release.yml",
      ref: "refs/tags/v1.0.0",
      environment: "pypi",
      runner: "github-hosted",
      identity: ACME_SAN,
    });
    expect(r.claimedPublisher).toEqual(ACME_GITHUB.publisher);
    expect(r.attestations[0]?.checks.map((c) => c.id)).toEqual([
      "tlog-kind",
      "sigstore",
      "tlog-certificate",
      "tlog-proof-consistency",
      "certificate-usage",
      "statement",
      "subject-digest",
      "subject-name",
      "publisher",
    ]);
  });

  it("verifies by name and digest with --provenance", async () => {
    await ws.expectVerified([
      "--filename",
      DIST_NAME,
      "--sha256",
      dist.sha256.toUpperCase(),
      "--provenance",
      `${dist.path}.provenance`,
    ]);
  });

  it.each([
    ["--repository", "acme/pkg"],
    ["--repository", "https://github.com/acme/pkg"],
    ["--repository", "github:acme/pkg"],
    ["--repository", "Acme/Pkg"], // GitHub names ignore case
    ["--workflow", "release.yml"],
    ["--workflow", ".github/workflows/release.yml"],
    ["--environment", "pypi"],
    ["--environment", "PyPI"], // GitHub: "Environment names are not case sensitive"
    ["--issuer", GITHUB_ISSUER],
    ["--identity", ACME_SAN],
  ])("expectation %s %s is met", async (flag, value) => {
    await ws.expectVerified([dist.path, flag, value]);
  });

  it("all expectations together are met", async () => {
    await ws.expectVerified([
      dist.path,
      ...["--repository", "acme/pkg", "--workflow", "release.yml", "--environment", "pypi"],
      ...["--issuer", GITHUB_ISSUER, "--identity", ACME_SAN],
    ]);
  });

  it.each([
    [
      "--repository",
      "acme/other",
      '"https://github.com/acme/pkg" is not "https://github.com/acme/other"',
    ],
    ["--repository", "acme/pkg.", "is not"],
    ["--repository", "acme/pk.", "is not"],
    ["--repository", "https://gitlab.com/acme/pkg", "is a GitLab project"],
    ["--repository", "gitlab:acme/pkg", "the certificate is not from GitLab"],
    ["--workflow", "Release.yml", "is not"],
    ["--workflow", "release.ym.", "is not"],
    ["--workflow", ".*", "is not"],
    ["--workflow", "workflows/release.yml", "is not"],
    ["--workflow", "release", "is not"],
    ["--environment", "pyp.", 'deployment environment "pypi" is not "pyp."'],
    ["--environment", "testpypi", "is not"],
    ["--issuer", `${GITHUB_ISSUER}/`, "is not"],
    ["--issuer", GITHUB_ISSUER.toUpperCase(), "is not"],
    ["--issuer", "https://token.actions.githubusercontent.co.", "is not"],
    ["--issuer", GITLAB_ISSUER, "is not"],
    ["--identity", ACME_SAN.toUpperCase(), "is not"],
    ["--identity", ACME_SAN.replace(".github", "?github"), "is not"],
    ["--identity", `${ACME_SAN}.*`, "is not"],
    ["--identity", "^https://github.com/acme/pkg/.*$", "is not"],
    ["--identity", "https://github.com/acme/pkg", "is not"],
  ])("expectation %s %s fails (EXPECTATION_MISMATCH)", async (flag, value, reason) => {
    const { stdout } = await ws.expectFailed(
      [dist.path, flag, value],
      "EXPECTATION_MISMATCH",
      reason,
    );
    expect(stdout).not.toContain("✓");
  });

  it.each([
    ["acme/.*", '"acme/.*": ".*" is not a valid name'],
    ["acme/pkg/", '"acme/pkg/": a GitHub repository is OWNER/NAME'],
    ["https://gitea.com/acme/pkg", "only github.com and gitlab.com repositories can be named"],
    ["acme/tools/pkg", "(a GitLab project is gitlab:acme/tools/pkg)"],
  ])("--repository %s is a usage error (exit 2, one line)", async (value, reason) => {
    const r = await ws.verify([dist.path, "--repository", value]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(reason);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("a regex-looking repository does not match a look-alike (acme/pkg. vs acme/pkgX)", async () => {
    const lookalike = ws.attested(
      githubIdentity({ repository: "acme/pkgX", workflow: "release.yml", ref: "refs/tags/v1" }),
    );
    await ws.expectFailed(
      [lookalike.path, "--repository", "acme/pkg."],
      "EXPECTATION_MISMATCH",
      '"https://github.com/acme/pkgX" is not "https://github.com/acme/pkg."',
    );
    await ws.expectVerified([lookalike.path, "--repository", "acme/pkgX"]);
  });

  it("a failed expectation is shown on the human output", async () => {
    const r = await ws.verify([dist.path, "--environment", "staging"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `✗ ${DIST_NAME}  ${ACME_LINE}\n` +
        `    certificate deployment environment "pypi" is not "staging"\n0 verified, 1 failed\n`,
    );
  });

  it("an environment expectation fails against a certificate without one", async () => {
    const noEnv = ws.attested(
      githubIdentity({ repository: "acme/pkg", workflow: "release.yml", ref: "refs/tags/v1.0.0" }),
    );
    await ws.expectFailed(
      [noEnv.path, "--environment", "pypi"],
      "EXPECTATION_MISMATCH",
      "no deployment environment claim",
    );
    const r = await ws.verify([noEnv.path]);
    expect(r.stdout).toContain("env=-");
    expect(r.code).toBe(0);
  });
});

describe("GitHub reusable workflow (.9 is not .18)", () => {
  const identity = githubReusableIdentity({
    repository: "acme/pkg",
    workflow: "release.yml",
    ref: "refs/tags/v1.0.0",
    environment: "pypi",
    reusable: { repository: "acme/shared", workflow: "pypi-publish.yml", ref: "refs/heads/main" },
  });
  const dist = ws.attested(identity);
  const signer =
    "https://github.com/acme/shared/.github/workflows/pypi-publish.yml@refs/heads/main";

  it("verifies, showing the top-level (.18) workflow", async () => {
    const r = await ws.verify([dist.path, "--identity", signer, "--workflow", "release.yml"]);
    expect(r.stdout).toContain(ACME_LINE);
    expect(r.code).toBe(0);
  });

  it("the publisher workflow must be the top-level workflow, not the reusable one", async () => {
    const d = ws.dist();
    ws.writeProvenance(d, [ws.attest(d, { identity })], {
      ...identity.publisher,
      workflow: "pypi-publish.yml",
    });
    await ws.expectFailed([d.path], "PUBLISHER_MISMATCH", 'publisher workflow "pypi-publish.yml"');
  });

  it("--workflow names the top-level workflow, not the reusable one", async () => {
    await ws.expectFailed(
      [dist.path, "--workflow", "pypi-publish.yml"],
      "EXPECTATION_MISMATCH",
      '".github/workflows/release.yml"',
    );
    await ws.expectFailed([dist.path, "--identity", ACME_SAN], "EXPECTATION_MISMATCH", signer);
  });
});

describe("other GitHub identities", () => {
  it("a self-hosted runner verifies and says so", async () => {
    const dist = ws.attested(
      githubSelfHostedIdentity({
        repository: "acme/pkg",
        workflow: "release.yml",
        ref: "refs/tags/v1.0.0",
        environment: "pypi",
      }),
    );
    const r = await ws.verify([dist.path]);
    expect(r.stdout).toContain(`✓ ${DIST_NAME}  ${ACME_LINE} runner=self-hosted  L1\n`);
    expect(r.code).toBe(0);
  });

  it("a ref containing '@' is shown whole, and the workflow without it", async () => {
    const dist = ws.attested(
      githubIdentity({ repository: "acme/pkg", workflow: "release.yml", ref: "refs/heads/a@b" }),
    );
    await ws.expectVerified([dist.path, "--workflow", "release.yml"]);
    const r = await ws.verify([dist.path]);
    expect(r.stdout).toContain(
      "github:acme/pkg workflow=.github/workflows/release.yml ref=refs/heads/a@b env=-",
    );
  });
});

describe("GitLab CI/CD publisher", () => {
  const identity = gitlabIdentity({
    project: "acme/tools/pkg",
    filepath: "ci/release.yml",
    ref: "refs/tags/v1.0.0",
    environment: "pypi",
  });
  const dist = ws.attested(identity);

  it("verifies with the right workflow_filepath (double-slash identity)", async () => {
    const san = "https://gitlab.com/acme/tools/pkg//ci/release.yml@refs/tags/v1.0.0";
    const r = await ws.verify([
      dist.path,
      ...["--identity", san, "--issuer", GITLAB_ISSUER, "--repository", "gitlab:acme/tools/pkg"],
      ...["--workflow", "ci/release.yml", "--environment", "pypi"],
    ]);
    expect(r.stdout).toContain(
      "gitlab:acme/tools/pkg workflow=ci/release.yml ref=refs/tags/v1.0.0 env=pypi",
    );
    expect(r.code).toBe(0);
  });

  it("a wrong workflow_filepath fails", async () => {
    for (const workflow_filepath of [
      ".gitlab-ci.yml",
      "release.yml",
      "CI/release.yml",
      "ci/release.ym.",
    ]) {
      const d = ws.dist();
      ws.writeProvenance(d, [ws.attest(d, { identity })], {
        ...identity.publisher,
        workflow_filepath,
      });
      await ws.expectFailed(
        [d.path],
        "PUBLISHER_MISMATCH",
        `publisher workflow_filepath "${workflow_filepath}"`,
      );
    }
  });

  it("--workflow needs the whole file path (no basename matching)", async () => {
    await ws.expectFailed(
      [dist.path, "--workflow", "release.yml"],
      "EXPECTATION_MISMATCH",
      "is not",
    );
  });
});

describe("Google publisher", () => {
  const email = "release@acme-prod.iam.gserviceaccount.com";
  const identity = googleIdentity({ email });
  const dist = ws.attested(identity);

  it("verifies with the right email", async () => {
    const r = await ws.verify([dist.path, "--identity", email, "--issuer", GOOGLE_ISSUER]);
    expect(r.stdout).toBe(`✓ ${DIST_NAME}  google:${email}  L1\n1 verified, 0 failed\n`);
    expect(r.code).toBe(0);
  });

  it("a wrong email fails", async () => {
    for (const other of [
      "other@acme-prod.iam.gserviceaccount.com",
      email.toUpperCase(),
      "release@acme-prod.iam.gserviceaccount.co.",
    ]) {
      const d = ws.dist();
      ws.writeProvenance(d, [ws.attest(d, { identity })], { kind: "Google", email: other });
      await ws.expectFailed([d.path], "PUBLISHER_MISMATCH", `publisher email "${other}"`);
    }
  });

  it("--repository cannot be met by a Google identity", async () => {
    await ws.expectFailed(
      [dist.path, "--repository", "acme/pkg"],
      "EXPECTATION_MISMATCH",
      "certificate has no source repository claim (.12)",
    );
  });
});
