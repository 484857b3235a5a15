/**
 * Distribution filenames (wheels and sdists), parsed and compared as in
 * pypa/packaging `parse_wheel_filename` / `parse_sdist_filename`
 * (verification-rules.md §5). Used for C7: the statement subject's name must
 * denote the same distribution as the real file.
 *
 * Deliberately stricter than packaging in a few corners (fail closed):
 * - path separators (`/`, `\`), NUL and the empty string are rejected;
 * - the wheel name check does not let Python's `$` skip a trailing newline;
 * - the whole build tag after the digits is kept (Python's `.` stops at "\n");
 * - two sdists are only the same distribution in the same format (`.tar.gz`
 *   vs `.zip`), as pypi-attestations keeps the extension.
 */
import { canonicalizeName } from "./names.js";
import { tryParseVersion, formatVersion, versionsEqual } from "./version.js";

export interface WheelBuildTag {
  /** The leading digits. */
  readonly number: bigint;
  /** Whatever follows them (often ""). */
  readonly tag: string;
}

export type DistributionFilename =
  | {
      readonly kind: "wheel";
      readonly filename: string;
      /** Canonical project name (PEP 503). */
      readonly name: string;
      /** Normalised PEP 440 version. Compare with {@link versionsEqual}, not `===`. */
      readonly version: string;
      readonly build: WheelBuildTag | undefined;
      /** Expanded, lowercased `interpreter-abi-platform` tags. */
      readonly tags: ReadonlySet<string>;
    }
  | {
      readonly kind: "sdist";
      readonly filename: string;
      readonly name: string;
      readonly version: string;
      readonly format: "tar.gz" | "zip";
    };

export class InvalidFilenameError extends Error {
  readonly filename: string;
  /** Why it is invalid, without the filename (one line). */
  readonly reason: string;
  constructor(filename: string, reason: string) {
    super(`invalid distribution filename ${quote(filename)}: ${reason}`);
    this.name = "InvalidFilenameError";
    this.filename = filename;
    this.reason = reason;
  }
}

/**
 * Quote untrusted text for a one-line message: JSON escapes, plus any
 * control, format (bidi overrides...), unassigned or line/paragraph separator
 * characters, so the text can neither break the line nor disguise itself.
 */
export function quote(s: string): string {
  return JSON.stringify(s).replace(/[\p{C}\p{Zl}\p{Zp}]/gu, (ch) => {
    const cp = ch.codePointAt(0) ?? 0;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, "0")}`;
  });
}

/** Python's `str.split(sep, maxsplit)`. */
function splitMax(s: string, sep: string, maxsplit: number): string[] {
  const parts: string[] = [];
  let rest = s;
  while (parts.length < maxsplit) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  parts.push(rest);
  return parts;
}

/** Python's `^[\w\d._]*$` with re.UNICODE: `\w` is letters (L*), numbers (N*) and `_`. */
const WHEEL_NAME_RE = /^[\p{L}\p{N}._]*$/u;
/** PEP 427: a build tag starts with (ASCII) digits. */
const BUILD_TAG_RE = /^([0-9]+)(.*)$/s;

function invalid(filename: string, reason: string): never {
  throw new InvalidFilenameError(filename, reason);
}

function parseWheel(filename: string): DistributionFilename {
  const stem = filename.slice(0, -".whl".length);
  const dashes = stem.split("-").length - 1;
  if (dashes !== 4 && dashes !== 5) {
    invalid(
      filename,
      `a wheel filename has 4 or 5 dashes (name-version[-build]-python-abi-platform.whl), this one has ${dashes}`,
    );
  }
  const parts = splitMax(stem, "-", dashes - 2);
  const [namePart, versionPart] = parts as [string, string];
  if (namePart.includes("__")) {
    invalid(filename, `wheel project name ${quote(namePart)} contains "__"`);
  }
  if (!WHEEL_NAME_RE.test(namePart)) {
    invalid(
      filename,
      `wheel project name ${quote(namePart)} has characters other than letters, digits, "." and "_"`,
    );
  }
  const version = tryParseVersion(versionPart);
  if (version === undefined) invalid(filename, `invalid PEP 440 version ${quote(versionPart)}`);

  let build: WheelBuildTag | undefined;
  if (dashes === 5) {
    const buildPart = parts[2] as string;
    const m = BUILD_TAG_RE.exec(buildPart);
    if (m === null) {
      invalid(filename, `invalid build tag ${quote(buildPart)} (it must start with a digit)`);
    }
    build = { number: BigInt(m[1] as string), tag: m[2] as string };
  }

  // The last part has exactly two dashes: interpreters-abis-platforms.
  const [interps, abis, platforms] = (parts[parts.length - 1] as string).split("-") as [
    string,
    string,
    string,
  ];
  const tags = new Set<string>();
  for (const i of interps.split(".")) {
    for (const a of abis.split(".")) {
      for (const p of platforms.split(".")) tags.add(`${i}-${a}-${p}`.toLowerCase());
    }
  }
  return {
    kind: "wheel",
    filename,
    name: canonicalizeName(namePart),
    version: formatVersion(version),
    build,
    tags,
  };
}

function parseSdist(filename: string, format: "tar.gz" | "zip"): DistributionFilename {
  const stem = filename.slice(0, -(format.length + 1));
  const dash = stem.lastIndexOf("-");
  if (dash < 0) invalid(filename, `an sdist filename needs a "-" between name and version`);
  const versionPart = stem.slice(dash + 1);
  const version = tryParseVersion(versionPart);
  if (version === undefined) invalid(filename, `invalid PEP 440 version ${quote(versionPart)}`);
  return {
    kind: "sdist",
    filename,
    name: canonicalizeName(stem.slice(0, dash)),
    version: formatVersion(version),
    format,
  };
}

/**
 * Parse a wheel (`.whl`) or sdist (`.tar.gz`, `.zip`) filename. Suffixes are
 * case-sensitive. Throws {@link InvalidFilenameError} with the precise reason.
 */
export function parseDistributionFilename(filename: string): DistributionFilename {
  if (typeof filename !== "string") {
    throw new InvalidFilenameError(String(filename), "not a string");
  }
  if (filename === "") throw new InvalidFilenameError(filename, "empty filename");
  if (/[/\\]/.test(filename)) {
    throw new InvalidFilenameError(filename, "contains a path separator");
  }
  if (filename.includes("\0")) throw new InvalidFilenameError(filename, "contains a NUL character");
  if (filename.endsWith(".whl")) return parseWheel(filename);
  if (filename.endsWith(".tar.gz")) return parseSdist(filename, "tar.gz");
  if (filename.endsWith(".zip")) return parseSdist(filename, "zip");
  const lower = filename.toLowerCase();
  const hint = [".whl", ".tar.gz", ".zip"].find((ext) => lower.endsWith(ext));
  throw new InvalidFilenameError(
    filename,
    hint === undefined
      ? 'not a distribution: the extension must be ".whl", ".tar.gz" or ".zip"'
      : `extensions are case-sensitive: ${quote(filename.slice(-hint.length))} is not ${quote(hint)}`,
  );
}

function describeBuild(b: WheelBuildTag | undefined): string {
  return b === undefined ? "no build tag" : `build tag ${quote(`${b.number}${b.tag}`)}`;
}

function sameBuild(a: WheelBuildTag | undefined, b: WheelBuildTag | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.number === b.number && a.tag === b.tag;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((t) => b.has(t));
}

function describeTags(tags: ReadonlySet<string>): string {
  return `{${[...tags].sort().map(quote).join(", ")}}`;
}

/** Why two parsed filenames differ, or `undefined` when they denote the same distribution. */
function difference(subject: DistributionFilename, file: DistributionFilename): string | undefined {
  const article = (k: "wheel" | "sdist"): string => (k === "wheel" ? "a wheel" : "an sdist");
  if (subject.kind !== file.kind) {
    return `subject is ${article(subject.kind)} but the file is ${article(file.kind)}`;
  }
  if (subject.name !== file.name) {
    return `subject names project ${quote(subject.name)} but the file is project ${quote(file.name)}`;
  }
  if (!versionsEqual(subject.version, file.version)) {
    return `subject names version ${subject.version} but the file is version ${file.version}`;
  }
  if (subject.kind === "sdist" && file.kind === "sdist") {
    if (subject.format !== file.format) {
      return `subject is a .${subject.format} sdist but the file is a .${file.format} sdist`;
    }
  } else if (subject.kind === "wheel" && file.kind === "wheel") {
    if (!sameBuild(subject.build, file.build)) {
      return `subject has ${describeBuild(subject.build)} but the file has ${describeBuild(file.build)}`;
    }
    if (!sameSet(subject.tags, file.tags)) {
      return `subject has tags ${describeTags(subject.tags)} but the file has tags ${describeTags(file.tags)}`;
    }
  }
  return undefined;
}

/**
 * Same distribution: same kind, canonical name and PEP 440-equal version;
 * wheels also need equal build tags and equal tag sets (order-insensitive),
 * sdists the same archive format.
 */
export function sameDistribution(a: DistributionFilename, b: DistributionFilename): boolean {
  return difference(a, b) === undefined;
}

/**
 * Compare a statement subject name with the real filename. Returns undefined
 * when they denote the same distribution, else a one-line reason.
 */
export function compareSubjectToFilename(
  subjectName: string,
  filename: string,
): string | undefined {
  let subject: DistributionFilename;
  let file: DistributionFilename;
  try {
    subject = parseDistributionFilename(subjectName);
  } catch (err) {
    if (!(err instanceof InvalidFilenameError)) throw err;
    return `subject name is not a valid distribution filename: ${quote(subjectName)}: ${err.reason}`;
  }
  try {
    file = parseDistributionFilename(filename);
  } catch (err) {
    if (!(err instanceof InvalidFilenameError)) throw err;
    return `file name is not a valid distribution filename: ${quote(filename)}: ${err.reason}`;
  }
  return difference(subject, file);
}
