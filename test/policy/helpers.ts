/**
 * Shared by the policy and SLSA tests: policies from text, real corpus
 * inputs for verifyDistributions, and synthetic SLSA provenance whose
 * fields agree with a synthetic GitHub identity.
 */
import type { FulcioClaims } from "../../src/identity/certificate.js";
import { parsePolicy, type LoadedPolicy } from "../../src/policy/load.js";
import type { VerifyOptions } from "../../src/pipeline.js";
import { casePath, getCase, trustedRootPath } from "../support/corpus.js";
import { githubIdentity, githubReusableIdentity } from "../support/sigstore/index.js";
import type { Identity } from "../support/sigstore/index.js";

/** A policy from YAML (or JSON, by the name's extension) text. */
export function policyFrom(text: string, name = "policy.yaml"): LoadedPolicy {
  return parsePolicy(Buffer.from(text), name);
}

const PEP740_KINDS = new Set(["attestation", "provenance", "slsa-attestation"]);

/** verifyDistributions inputs for one corpus case (artifact or name + digest, its provenance, its root). */
export function corpusInputs(caseName: string): VerifyOptions {
  const c = getCase(caseName);
  const trustedRoot = trustedRootPath(c.sigstore_instance as "production" | "staging");
  const sidecars = [".provenance", ".publish.attestation", ".slsa.attestation"].map(
    (suffix) => `${c.artifact_filename}${suffix}`,
  );
  if (c.artifact_present && c.files.some((f) => sidecars.includes(f.file))) {
    // Sidecars beside the artifact are found by pyprov itself.
    return {
      targets: [{ kind: "path", path: casePath(caseName, c.artifact_filename!) }],
      trustedRoot,
    };
  }
  const provenance = c.files.find((f) => f.kind === "provenance");
  const attestations = c.files
    .filter((f) => PEP740_KINDS.has(f.kind) && f.kind !== "provenance")
    .map((f) => casePath(caseName, f.file));
  return {
    targets: c.artifact_present
      ? [{ kind: "path", path: casePath(caseName, c.artifact_filename!) }]
      : [{ kind: "digest", filename: c.artifact_filename!, sha256: c.artifact_sha256! }],
    ...(provenance ? { provenance: casePath(caseName, provenance.file) } : { attestations }),
    trustedRoot,
  };
}

/** The pypi-attestations history in the corpus (one repository ID, 772247423). */
export const MODELS_0_0_4A2 = "tob-pypi_attestation_models-0.0.4a2-sdist";
export const PA_0_0_19 = "tob-pypi_attestations-0.0.19-sdist";
export const PA_0_0_28 = "carabiner-pypi_attestations-0.0.28-sdist";
export const SIGSTORE_3_6_1 = "tob-sigstore-3.6.1-sdist-pypi-provenance";
export const GCB = "pypi-gcb_attestation_test-0.0.0-sdist-pypi-provenance";
export const GITLAB_CASE = "tob-gitlab_oidc_project-0.0.3-sdist";
export const REPO_ID = "772247423";
export const TOB_OWNER_ID = "2314423";
export const PYPI_OWNER_ID = "2964877";

export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const GITHUB_WORKFLOW_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1";
export const DEFAULT_SHA = "0123456789abcdef0123456789abcdef01234567";

export const GENERATOR =
  "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml";

/** acme/pkg release.yml at v1.0.0 (environment pypi), whose job ran `GENERATOR` at `builderRef`. */
export function builderIdentity(builderRef = "refs/tags/v2.1.0", runner?: string): Identity {
  return githubReusableIdentity({
    repository: "acme/pkg",
    workflow: "release.yml",
    ref: "refs/tags/v1.0.0",
    environment: "pypi",
    ...(runner !== undefined ? { runner } : {}),
    reusable: {
      repository: "slsa-framework/slsa-github-generator",
      workflow: "generator_generic_slsa3.yml",
      ref: builderRef,
    },
  });
}

/** The tenant's own workflow signing (no reusable builder): .9 = .18. */
export const TENANT_IDENTITY: Identity = githubIdentity({
  repository: "acme/pkg",
  workflow: "release.yml",
  ref: "refs/tags/v1.0.0",
  environment: "pypi",
});

/** The Fulcio extension value N of an identity, as a string. */
export function ext(identity: Identity, n: number): string {
  const v = identity.extensions[`1.3.6.1.4.1.57264.1.${n}`];
  if (typeof v !== "string") throw new Error(`identity has no string extension .${n}`);
  return v;
}

/**
 * A SLSA Provenance v1 predicate that agrees with every claim of `identity`
 * (builder.id = .9); `patch` replaces parts of it.
 */
export function slsaPredicate(
  identity: Identity,
  patch: {
    buildType?: string;
    builderId?: string;
    externalParameters?: Record<string, unknown>;
    workflow?: Record<string, unknown>;
    internalParameters?: unknown;
    resolvedDependencies?: unknown[];
    invocationId?: string;
  } = {},
): Record<string, unknown> {
  const workflow = patch.workflow ?? {
    ref: ext(identity, 14),
    repository: ext(identity, 12),
    path: ".github/workflows/release.yml",
  };
  return {
    buildDefinition: {
      buildType: patch.buildType ?? GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: patch.externalParameters ?? { workflow },
      internalParameters: patch.internalParameters ?? {
        github: {
          event_name: ext(identity, 20),
          repository_id: ext(identity, 15),
          repository_owner_id: ext(identity, 17),
          runner_environment: ext(identity, 11),
        },
      },
      resolvedDependencies: patch.resolvedDependencies ?? [
        {
          uri: `git+${ext(identity, 12)}@${ext(identity, 14)}`,
          digest: { gitCommit: ext(identity, 13) },
        },
      ],
    },
    runDetails: {
      builder: { id: patch.builderId ?? ext(identity, 9) },
      metadata: { invocationId: patch.invocationId ?? ext(identity, 21) },
    },
  };
}

/** GitHub claims for pure publisher-matching tests (every claim a hosted release has). */
export function githubClaims(o: {
  repository?: string;
  repositoryId?: string;
  ownerId?: string;
  workflow?: string;
  ref?: string;
  environment?: string;
  runner?: string;
  trigger?: string;
}): FulcioClaims {
  const repo = o.repository ?? "pypa/sampleproject";
  const ref = o.ref ?? "refs/tags/v4.0.0";
  const wf = o.workflow ?? ".github/workflows/release.yml";
  return {
    issuer: "https://token.actions.githubusercontent.com",
    issuerV2: "https://token.actions.githubusercontent.com",
    buildSignerUri: `https://github.com/${repo}/${wf}@${ref}`,
    runnerEnvironment: o.runner ?? "github-hosted",
    sourceRepositoryUri: `https://github.com/${repo}`,
    sourceRepositoryDigest: DEFAULT_SHA,
    sourceRepositoryRef: ref,
    sourceRepositoryIdentifier: o.repositoryId ?? "123456",
    sourceRepositoryOwnerIdentifier: o.ownerId ?? "654321",
    buildConfigUri: `https://github.com/${repo}/${wf}@${ref}`,
    buildTrigger: o.trigger ?? "push",
    ...(o.environment !== undefined ? { deploymentEnvironment: o.environment } : {}),
  };
}
