/**
 * Synthetic multi-release histories for the continuity tests: identities by
 * repository and IDs, releases with upload times, and `verify --history`
 * through the CLI against a SyntheticIndex.
 */
import { githubIdentity, type Identity } from "../support/sigstore/index.js";
import {
  verifyJson,
  type CliJsonRun,
  type FileSpec,
  type ReleaseSpec,
  type SyntheticIndex,
} from "../support/synthetic-index.js";

export interface Publisher {
  repository: string;
  repositoryId: string;
  ownerId: string;
  workflow?: string;
  environment?: string;
}

export const ACME: Publisher = { repository: "acme/pkg", repositoryId: "111", ownerId: "999" };

/** The identity `p` signs release `version` with (tag v<version>). */
export function signer(p: Publisher, version: string): Identity {
  return githubIdentity({
    repository: p.repository,
    workflow: p.workflow ?? "release.yml",
    ref: `refs/tags/v${version}`,
    repositoryId: p.repositoryId,
    ownerId: p.ownerId,
    ...(p.environment !== undefined ? { environment: p.environment } : {}),
  });
}

/** A release of a wheel and an sdist, both signed by `p` (or with `provenance` for both). */
export function release(
  version: string,
  p: Publisher | undefined,
  provenance: FileSpec["provenance"] = "ok",
): ReleaseSpec {
  const identity = p ? signer(p, version) : undefined;
  const spec = (kind: "wheel" | "sdist"): FileSpec => ({
    kind,
    provenance: p ? provenance : "none",
    ...(identity ? { identity } : {}),
  });
  return { version, files: [spec("wheel"), spec("sdist")] };
}

/** Add a project whose releases were uploaded one day apart, oldest first, ending `endDaysAgo` days ago. */
export function addHistory(
  si: SyntheticIndex,
  name: string,
  releases: ReleaseSpec[],
  endDaysAgo = 100,
): void {
  const project = si.add(name, releases);
  const day = 24 * 60 * 60 * 1000;
  const end = Date.now() - endDaysAgo * day;
  releases.forEach((r, i) => {
    const at = new Date(end - (releases.length - 1 - i) * day).toISOString();
    for (const f of project.files) if (f.version === r.version) f.fake.uploadTime = at;
  });
  si.put(project);
}

/** `pyprov verify ARGS --format json` against the synthetic index, without the cache. */
export function verifyHistory(
  si: SyntheticIndex,
  args: string[],
  cache: string[] = ["--no-cache"],
): Promise<CliJsonRun> {
  return verifyJson([...args, "--index-url", si.indexUrl, "--trusted-root", si.root, ...cache]);
}

/** The parts of `results[].continuity` the tests read. */
export interface JsonContinuity {
  package: string;
  history: number;
  order: string;
  releases: {
    version: string;
    current: boolean;
    status: string;
    yanked: boolean;
    identities: { repository?: string; repositoryId?: string; ownerId?: string }[];
    files: { filename: string; status: string }[];
  }[];
  findings: { kind: string; severity: string; code?: string; from?: string; to?: string }[];
  results: { id: string; ok: boolean; code?: string }[];
}

export function continuityOf(run: CliJsonRun, index = 0): JsonContinuity {
  const r = run.doc.results[index] as unknown as { continuity?: JsonContinuity };
  if (!r.continuity) throw new Error(`result ${index} has no continuity: ${run.stdout}`);
  return r.continuity;
}

export const kinds = (c: JsonContinuity): string[] =>
  c.findings.map((f) => `${f.kind}:${f.severity}`);
