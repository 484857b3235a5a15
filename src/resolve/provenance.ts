/**
 * Finding the provenance of one resolved file: from explicit files, from
 * sidecars beside a local distribution, or from the package index (through
 * the content-addressed cache). "Absent" (the index says there is none) and
 * "withheld" (the index refuses to say) are different answers, and neither
 * is ever confused with a network failure, which is thrown.
 */
import { PyprovError } from "../errors.js";
import { findSidecars } from "../inputs/local.js";
import {
  attestationsOnly,
  loadAttestationFile,
  loadProvenanceFile,
  parseProvenance,
  type LoadedProvenance,
} from "../pep740/load.js";
import type { CachedFile, ProvenanceCache } from "../pypi/cache.js";
import type { IndexClient } from "../pypi/index-client.js";
import type { GetPage } from "./spec.js";
import type { ResolvedFile } from "./targets.js";

export type ProvenanceOutcome =
  | {
      status: "found";
      provenance: LoadedProvenance;
      from: "files" | "sidecar";
      url?: string;
    }
  | {
      /** Bytes as the index sent them (or the cache kept them), parsed where they are verified. */
      status: "found-bytes";
      body: Buffer;
      source: string;
      from: "cache" | "index";
    }
  | { status: "absent"; reason: string }
  | { status: "withheld"; reason: string };

export interface FetchContext {
  /** The client for an index URL (undefined: the run's default index). */
  index: (url?: string) => Promise<IndexClient>;
  cache: () => Promise<ProvenanceCache | undefined>;
  offline: boolean;
  getPage: GetPage;
}

/** Provenance named on the command line (--provenance / --attestation). */
export function loadExplicitProvenance(
  provenance: string | undefined,
  attestations: string[],
): LoadedProvenance {
  const parts: LoadedProvenance[] = [];
  if (provenance !== undefined) parts.push(loadProvenanceFile(provenance));
  const atts = attestations.map(loadAttestationFile);
  if (atts.length > 0) parts.push(attestationsOnly(atts));
  return mergeProvenance(parts);
}

/** DIST.provenance, DIST.publish.attestation, DIST.slsa.attestation. */
export function loadSidecarProvenance(path: string): ProvenanceOutcome {
  const found = findSidecars(path);
  const parts: LoadedProvenance[] = [];
  if (found.provenance) parts.push(loadProvenanceFile(found.provenance));
  const atts = found.attestations.map(loadAttestationFile);
  if (atts.length > 0) parts.push(attestationsOnly(atts));
  if (parts.length === 0) {
    return {
      status: "absent",
      reason: `no provenance found (looked for ${found.looked.map((p) => `"${p}"`).join(", ")})`,
    };
  }
  return { status: "found", provenance: mergeProvenance(parts), from: "sidecar" };
}

export function mergeProvenance(parts: LoadedProvenance[]): LoadedProvenance {
  if (parts.length === 1) return parts[0]!;
  return {
    kind: parts.some((p) => p.kind === "provenance") ? "provenance" : "attestations",
    sources: parts.flatMap((p) => p.sources),
    groups: parts.flatMap((p) => p.groups),
    digests: parts.flatMap((p) => p.digests ?? []),
  };
}

/** What the cache remembers about the file, so a later run can skip the project page. */
function cachedFile(file: ResolvedFile): { file?: CachedFile } {
  if (file.project === undefined) return {};
  return {
    file: {
      filename: file.filename,
      project: file.project,
      ...(file.version !== undefined ? { version: file.version } : {}),
      ...(file.url !== undefined ? { url: file.url } : {}),
    },
  };
}

/** Provenance from the index, through the cache. */
export async function fetchIndexProvenance(
  file: ResolvedFile,
  ctx: FetchContext,
): Promise<ProvenanceOutcome> {
  const sha = file.sha256;
  const cache = await ctx.cache();
  if (sha !== undefined && cache) {
    const hit = cache.get(sha);
    if (hit.kind === "hit") {
      // Parsed (and checked) where it is verified; only valid provenance is ever cached.
      return { status: "found-bytes", body: hit.body, source: hit.url, from: "cache" };
    }
    // A remembered "none" yields to a page that now links provenance.
    if (hit.kind === "absent" && typeof file.provenanceUrl !== "string") {
      return {
        status: "absent",
        reason: `the index had no provenance for this file (cached ${hit.fetchedAt})`,
      };
    }
  }
  if (ctx.offline) {
    throw new PyprovError(
      "OFFLINE",
      "provenance is not in the cache, and --offline forbids the network",
      {
        source: file.filename,
      },
    );
  }
  let provenanceUrl = file.provenanceUrl;
  if (provenanceUrl === undefined && file.project !== undefined) {
    // A lock entry: the project page says where its provenance is.
    const page = await ctx.getPage(file.project, file.index);
    const listed = page.files.find((f) => f.filename === file.filename);
    if (listed) provenanceUrl = listed.provenanceUrl;
  }
  const result = await (
    await ctx.index(file.index)
  ).getProvenance({
    filename: file.filename,
    ...(provenanceUrl !== undefined ? { provenanceUrl } : {}),
    ...(file.project !== undefined ? { project: file.project } : {}),
    ...(file.version !== undefined ? { version: file.version } : {}),
  });
  switch (result.status) {
    case "found": {
      // Check the shape before caching: malformed provenance is never stored.
      parseProvenance(result.body, result.url);
      if (sha !== undefined)
        cache?.putProvenance(sha, result.body, { url: result.url, ...cachedFile(file) });
      return { status: "found-bytes", body: result.body, source: result.url, from: "index" };
    }
    case "absent":
      if (sha !== undefined) {
        cache?.putAbsent(sha, { ...(result.url ? { url: result.url } : {}), ...cachedFile(file) });
      }
      return {
        status: "absent",
        reason: `the index has no provenance for this file (${result.reason})`,
      };
    case "withheld":
      return { status: "withheld", reason: `the index withholds provenance (${result.reason})` };
  }
}
