/**
 * What every input parser (requirements files, pylock.toml, uv.lock) returns:
 * a list of {@link TargetSpec}s, one per requirement or locked package.
 */

/** One distribution file a lockfile pins. */
export interface LockedFile {
  /** The file name (from the lock, else the URL's or path's last segment, URL-decoded). */
  filename?: string;
  url?: string;
  /** Local path, as written in the lock (relative to the lock file). */
  path?: string;
  /** Lowercase hex. */
  sha256?: string;
  size?: number;
  /** Upload time as recorded by the lock (ISO 8601), when present. */
  uploadTime?: string;
}

/** A PEP 751 `attestation-identities` entry, e.g. `{kind: "GitHub", repository, workflow}`. */
export interface AttestationIdentity {
  kind: string;
  [key: string]: unknown;
}

/** A hash with an algorithm other than sha256 (pip also accepts sha384 and sha512). */
export interface OtherHash {
  algorithm: "sha384" | "sha512";
  /** Lowercase hex. */
  digest: string;
}

/**
 * Where a target comes from when it is not a package index: such targets are
 * reported, never verified against index provenance.
 *
 * - `url`: a direct URL (`pkg @ https://...`, a bare URL, uv `source = {url}`)
 * - `vcs`: a version-control URL (`git+https://...`, uv `source = {git}`, pylock `vcs`)
 * - `path`: a local file or directory given by path (`./local`, uv `source = {path}`)
 * - `directory`: a local source tree (pylock `directory`, uv `source = {directory}`)
 * - `archive`: a pylock `archive` (URL or path to an archive file)
 * - `editable`: `-e ...` in a requirements file, or an editable pylock `directory`
 */
export interface NonIndexSource {
  kind: "url" | "vcs" | "path" | "directory" | "archive" | "editable";
  url?: string;
  path?: string;
  /** VCS commit recorded by a lock. */
  commit?: string;
  subdirectory?: string;
  /**
   * Requirements files only: false when no project name could be found (no
   * `#egg=` fragment, not a wheel file name); the target's `name` is then the
   * reference as written.
   */
  named?: boolean;
}

export interface TargetSpec {
  /** The project name as written (not normalised). */
  name: string;
  /** Pinned version when there is one (`==` without wildcard, or `===`; a lock's version). */
  version?: string;
  /** Exactly the files to verify when known (lockfiles); empty for requirements files. */
  files: LockedFile[];
  /** Allowed sha256 digests, lowercase hex, deduplicated, in file order. */
  hashes: string[];
  /**
   * Requirements: an exact version pin, an index requirement and at least one
   * hash (of any accepted algorithm). Lockfiles: an index package with a
   * version and a sha256 for every file (and at least one file).
   */
  pinned: boolean;
  /** Where it came from: 1-based line (lockfiles: the line of the package's `[[...]]` header). */
  source: { file: string; line: number };
  /** Environment marker text, not evaluated. */
  markers?: string;
  extras?: string[];
  /** PEP 751 `attestation-identities`. */
  expectedIdentities?: AttestationIdentity[];
  /** Requirements files: `--hash` values with another algorithm than sha256. */
  otherHashes?: OtherHash[];
  /** The direct URL or path as written, for non-index targets that have one. */
  url?: string;
  /** Set exactly when the target does not come from a package index. */
  nonIndex?: NonIndexSource;
  /**
   * The package index the entry names: pylock `index`, uv `source.registry`,
   * a requirements file's `--index-url`. Provenance is looked up there.
   */
  index?: string;
  /** Requirements files: `--extra-index-url` values pip also searches. */
  extraIndexes?: string[];
  /** Requirements files: `--find-links` locations pip also takes files from. */
  findLinks?: string[];
  /** Requirements files: `--no-index` (pip reads only the find-links locations). */
  noIndex?: boolean;
}
