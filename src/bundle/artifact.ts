/**
 * The artifact a bundle is verified against: a file, or `sha256:HEX`.
 *
 * An argument that looks like `sha256:<64 hex>` is always a digest (a file
 * with that exact name must be given as `./sha256:...`). Files are hashed in
 * chunks, in constant memory. Only a message signature needs the bytes themselves (the
 * signature is over them); those are read into memory up to
 * {@link MAX_ARTIFACT_BYTES_IN_MEMORY}, and larger files are verified from
 * their digest like `sha256:HEX` is.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { PyprovError } from "../errors.js";
import { hashFileSync } from "../util/hash-file.js";
import { readInputFile } from "../util/read-input.js";
import type { DigestAlgorithm } from "./prehashed.js";

export const MAX_ARTIFACT_BYTES_IN_MEMORY = 256 * 1024 * 1024;

export type ArtifactArgument =
  | { kind: "file"; path: string; display: string }
  | { kind: "digest"; sha256: string; display: string };

export interface ResolvedArtifact {
  display: string;
  path: string | undefined;
  sha256: string;
  /** Digests by algorithm (sha256 always; others when asked for and a file was given). */
  digests: Partial<Record<DigestAlgorithm, Buffer>>;
  /** The bytes, when asked for and the file is small enough. */
  bytes: Buffer | undefined;
}

export function parseArtifactArgument(arg: string): ArtifactArgument {
  if (/^sha256:/i.test(arg)) {
    const hex = arg.slice("sha256:".length);
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw new PyprovError(
        "USAGE",
        `the artifact digest must be sha256: followed by 64 hexadecimal digits, got "${arg}"`,
      );
    }
    return { kind: "digest", sha256: hex.toLowerCase(), display: `sha256:${hex.toLowerCase()}` };
  }
  if (arg === "") throw new PyprovError("USAGE", "the artifact path is empty");
  return { kind: "file", path: arg, display: arg };
}

function unreadable(path: string, err: unknown): PyprovError {
  const code = (err as { code?: string } | undefined)?.code;
  return new PyprovError(
    "INPUT_UNREADABLE",
    code === "ENOENT" ? "no such file" : `cannot read file (${code ?? String(err)})`,
    { source: path },
  );
}

function hashPath(path: string, algorithms: DigestAlgorithm[]): Map<string, Buffer> {
  try {
    return hashFileSync(path, algorithms);
  } catch (err) {
    throw unreadable(path, err);
  }
}

/**
 * Hash the artifact (and read it, if `wantBytes` and it fits in memory).
 * `algorithms` are extra digests wanted besides sha256.
 */
export async function resolveArtifact(
  arg: ArtifactArgument,
  opts: { wantBytes: boolean; algorithms?: DigestAlgorithm[] } = { wantBytes: false },
): Promise<ResolvedArtifact> {
  if (arg.kind === "digest") {
    return {
      display: arg.display,
      path: undefined,
      sha256: arg.sha256,
      digests: { sha256: Buffer.from(arg.sha256, "hex") },
      bytes: undefined,
    };
  }
  let size: number;
  try {
    const st = statSync(arg.path);
    if (!st.isFile()) {
      throw new PyprovError("INPUT_UNREADABLE", "is not a regular file", { source: arg.path });
    }
    size = st.size;
  } catch (err) {
    if (err instanceof PyprovError) throw err;
    throw unreadable(arg.path, err);
  }
  const algorithms = [...new Set<DigestAlgorithm>(["sha256", ...(opts.algorithms ?? [])])];
  let bytes: Buffer | undefined;
  let digests: Map<string, Buffer>;
  if (opts.wantBytes && size <= MAX_ARTIFACT_BYTES_IN_MEMORY) {
    bytes = readInputFile(arg.path, MAX_ARTIFACT_BYTES_IN_MEMORY);
    digests = new Map(algorithms.map((a) => [a, createHash(a).update(bytes!).digest()]));
  } else {
    digests = hashPath(arg.path, algorithms);
  }
  return {
    display: arg.display,
    path: arg.path,
    sha256: digests.get("sha256")!.toString("hex"),
    digests: Object.fromEntries(digests) as Partial<Record<DigestAlgorithm, Buffer>>,
    bytes,
  };
}
