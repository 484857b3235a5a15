/**
 * Local targets: distribution files on disk (hashed in chunks) and the
 * provenance files that sit beside them.
 */
import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { PyprovError } from "../errors.js";
import { hashFileSync } from "../util/hash-file.js";

/** Sidecar names pyprov looks for beside DIST, in this order. */
export const SIDECAR_SUFFIXES = [
  ".provenance",
  ".publish.attestation",
  ".slsa.attestation",
] as const;

export interface HashedFile {
  path: string;
  filename: string;
  sha256: string;
  size: number;
}

/** sha256 of a file, read in constant memory. */
export async function hashFile(path: string): Promise<HashedFile> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile())
      throw new PyprovError("INPUT_UNREADABLE", "is not a regular file", { source: path });
    size = st.size;
  } catch (err) {
    if (err instanceof PyprovError) throw err;
    const code = (err as { code?: string }).code;
    throw new PyprovError(
      "INPUT_UNREADABLE",
      code === "ENOENT" ? "no such file" : `cannot read file (${code ?? String(err)})`,
      { source: path },
    );
  }
  let sha256: string;
  try {
    sha256 = hashFileSync(path, ["sha256"]).get("sha256")!.toString("hex");
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new PyprovError("INPUT_UNREADABLE", `cannot read file: ${message}`, { source: path });
  }
  return { path, filename: basename(path), sha256, size };
}

export interface Sidecars {
  provenance: string | undefined;
  attestations: string[];
  looked: string[];
}

/** Find DIST.provenance, DIST.publish.attestation and DIST.slsa.attestation. */
export function findSidecars(path: string): Sidecars {
  const looked = SIDECAR_SUFFIXES.map((s) => path + s);
  const [prov, ...atts] = looked;
  return {
    provenance: prov && existsSync(prov) ? prov : undefined,
    attestations: atts.filter((p) => existsSync(p)),
    looked,
  };
}

const SHA256_RE = /^[0-9a-fA-F]{64}$/;

/** Validate a user-given sha256 (hex, any case) and return it lowercased. */
export function parseSha256Option(value: string): string {
  const v = value.startsWith("sha256:") ? value.slice("sha256:".length) : value;
  if (!SHA256_RE.test(v)) {
    throw new PyprovError("USAGE", `--sha256 must be 64 hexadecimal digits, got "${value}"`);
  }
  return v.toLowerCase();
}
