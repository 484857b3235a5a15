/**
 * A PEP 751 lock's attestation-identities are expectations, end to end (CLI
 * in-process, synthetic index on 127.0.0.1, attestations minted by the test
 * Sigstore): an environment the lock names must be in the certificate, even
 * though the index's own (unsigned) publisher record may leave it out; a
 * GitHub identity is never met by a GitLab certificate; names compare as the
 * platform compares them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { githubIdentity, gitlabIdentity } from "../support/sigstore/index.js";
import {
  SyntheticIndex,
  pylockText,
  verifyJson,
  type CliJsonRun,
} from "../support/synthetic-index.js";

/** GitHub acme/pkg release.yml, and no environment claim (.23) at all. */
const NO_ENVIRONMENT = githubIdentity({
  repository: "acme/pkg",
  workflow: "release.yml",
  ref: "refs/tags/v1.0.0",
});
/** GitLab pypa/sampleproject whose CI file is release.yml. */
const GITLAB = gitlabIdentity({
  project: "pypa/sampleproject",
  filepath: "release.yml",
  ref: "refs/tags/v1.0.0",
});

const si = new SyntheticIndex({
  projects: {
    "no-env": [{ version: "1.0.0", files: [{ kind: "wheel", identity: NO_ENVIRONMENT }] }],
    "from-gitlab": [{ version: "1.0.0", files: [{ kind: "wheel", identity: GITLAB }] }],
  },
});

beforeAll(async () => {
  await si.start();
});
afterAll(async () => {
  await si.close();
});

async function verifyLock(project: string, identity: Record<string, string>): Promise<CliJsonRun> {
  const lock = pylockText(si.indexUrl, [
    si.lockPackage(project, "1.0.0", { identities: [identity] }),
  ]);
  const path = si.write("pylock.toml", lock.text);
  return verifyJson([
    "--lock",
    path,
    "--no-cache",
    "--index-url",
    si.indexUrl,
    "--trusted-root",
    si.root,
  ]);
}

const ACME = { kind: "GitHub", repository: "acme/pkg", workflow: "release.yml" };

describe("lock attestation-identities are expectations", () => {
  it("the index record has no environment and the certificate no .23: verified without one", async () => {
    expect(NO_ENVIRONMENT.publisher?.environment).toBe("");
    const r = await verifyLock("no-env", ACME);
    expect(r.doc.results.map((x) => x.verdict)).toEqual(["verified"]);
    expect(r.code).toBe(0);
  });

  it('environment = "pypi" in the lock fails a certificate with no environment claim', async () => {
    const r = await verifyLock("no-env", { ...ACME, environment: "pypi" });
    expect(r.code).toBe(1);
    const [result] = r.doc.results;
    expect(result!.verdict).toBe("failed");
    expect(result!.failure).toEqual({
      code: "EXPECTATION_MISMATCH",
      message:
        'certificate matches none of the expected attestation identities: publisher environment "pypi" is required, but the certificate has no deployment environment claim (.23)',
    });
    // The index's own record is still checked leniently: only the lock's identity fails.
    const checks = result!.attestations[0]!.checks;
    expect(checks.find((c) => c.id === "publisher")?.ok).toBe(true);
    expect(checks.find((c) => c.id === "attestation-identities")?.ok).toBe(false);
  });

  it("names compare as GitHub compares them: repository case is ignored", async () => {
    const r = await verifyLock("no-env", { ...ACME, repository: "Acme/PKG" });
    expect(r.code).toBe(0);
  });

  it("a GitHub identity of the same path and workflow is not met by a GitLab certificate", async () => {
    const github = { kind: "GitHub", repository: "pypa/sampleproject", workflow: "release.yml" };
    const r = await verifyLock("from-gitlab", github);
    expect(r.code).toBe(1);
    expect(r.doc.results[0]!.failure?.message).toContain(
      'certificate issuer "https://gitlab.com" is not the GitHub Actions issuer',
    );
    const gitlab = {
      kind: "GitLab",
      repository: "gitlab:pypa/sampleproject",
      workflow_filepath: "release.yml",
    };
    expect((await verifyLock("from-gitlab", gitlab)).code).toBe(0);
  });

  it("a repository that names another platform than the kind stops the run (exit 2)", async () => {
    const identity = { ...ACME, repository: "gitlab:pypa/sampleproject" };
    const lock = pylockText(si.indexUrl, [
      si.lockPackage("from-gitlab", "1.0.0", { identities: [identity] }),
    ]);
    const path = si.write("pylock.toml", lock.text);
    const r = await runCli(["verify", "--lock", path, "--index-url", si.indexUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `pyprov: ${path}: line ${lock.lines.get("from-gitlab")}: package "from-gitlab": attestation-identities[0]: repository "gitlab:pypa/sampleproject" names a GitLab project, not a GitHub repository\n`,
    );
  });
});
