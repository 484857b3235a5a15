/**
 * Access to the shared corpus of real PEP 740 data (../shared/corpus, or
 * $PYPROV_CORPUS). Tests read it in place; nothing is copied into the repo.
 * When CI is set and the corpus is missing, loading fails loudly: a test that
 * needs real data never silently skips in CI.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "..", "..");

export const CORPUS_DIR = resolve(
  process.env.PYPROV_CORPUS ?? join(REPO_ROOT, "..", "shared", "corpus"),
);

export interface ManifestFile {
  file: string;
  kind: string;
  sha256: string;
  size: number;
}

export interface ManifestCase {
  case: string;
  files: ManifestFile[];
  artifact_filename: string | null;
  artifact_sha256: string | null;
  artifact_present: boolean;
  sigstore_instance: "production" | "staging" | string;
  predicate_types: string[];
  identity: string | null;
  oidc_issuer: string | null;
  publisher: Record<string, unknown> | null;
  tlog_kind_version: string[];
  expected: string;
  certificate_extensions: Record<string, string>;
  notes: string;
  pep740: boolean | null;
}

export function requireCorpus(): string {
  if (!existsSync(join(CORPUS_DIR, "MANIFEST.json"))) {
    throw new Error(
      `the shared corpus is missing at ${CORPUS_DIR} (set PYPROV_CORPUS); tests that need real data cannot run`,
    );
  }
  return CORPUS_DIR;
}

let manifest: ManifestCase[] | undefined;
export function loadManifest(): ManifestCase[] {
  requireCorpus();
  manifest ??= JSON.parse(
    readFileSync(join(CORPUS_DIR, "MANIFEST.json"), "utf8"),
  ) as ManifestCase[];
  return manifest;
}

export function getCase(name: string): ManifestCase {
  const c = loadManifest().find((m) => m.case === name);
  if (!c) throw new Error(`no corpus case named ${name}`);
  return c;
}

export function casePath(caseName: string, file: string): string {
  return join(requireCorpus(), "cases", caseName, file);
}

export function readCaseFile(caseName: string, file: string): Buffer {
  return readFileSync(casePath(caseName, file));
}

export function trustedRootPath(instance: "production" | "staging"): string {
  return join(requireCorpus(), "trust", `trusted_root.${instance}.json`);
}
