/**
 * PEP 440 versions: validation, normalisation and comparison.
 *
 * Semantics follow `packaging.version.Version` (pypa/packaging 26.x), which is
 * what PyPI and pypi-attestations use. @renovatebot/pep440 is not used here
 * because it gets several of these cases wrong (checked against 5.0.1):
 *
 * - `clean()` joins local segments with "," (`1.0+abc.7` → `1.0+abc,7`);
 * - local segments are classified with `Number()`, so `1.0+1e3 == 1.0+1000`,
 *   `1.0+0x1 == 1.0+1`, and `+Infinity` is kept as a number (and not lowercased);
 * - numbers become JS doubles: `1.9007199254740993 == 1.9007199254740992`;
 * - `eq`/`compare` throw a TypeError on surrounding whitespace or invalid input.
 *
 * Here every number stays a decimal string (no precision limit) and is
 * compared by length then digits once leading zeros are stripped.
 */

export class InvalidVersionError extends Error {
  readonly version: string;
  constructor(version: string) {
    super(`invalid PEP 440 version: ${JSON.stringify(version)}`);
    this.name = "InvalidVersionError";
    this.version = version;
  }
}

export type PreReleaseLabel = "a" | "b" | "rc";

/** A parsed version. Every number is a decimal string without leading zeros. */
export interface ParsedVersion {
  readonly epoch: string;
  readonly release: readonly string[];
  readonly pre: { readonly label: PreReleaseLabel; readonly number: string } | undefined;
  readonly post: string | undefined;
  readonly dev: string | undefined;
  /** Lowercased segments; purely numeric segments are normalised numbers. */
  readonly local: readonly string[] | undefined;
}

/**
 * Python's `\s` for str patterns (the characters for which `str.isspace()` is
 * true). Differs from JS `\s`: includes U+001C..U+001F and U+0085, excludes U+FEFF.
 */
const PY_SPACE =
  "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/*
 * The PEP 440 grammar (the spec's appendix regex). The "i" flag is used
 * WITHOUT "u": then non-ASCII characters never fold onto ASCII letters
 * (Kelvin sign K, dotted İ, long ſ), matching packaging's `(?a:...)`.
 */
const VERSION_RE = new RegExp(
  [
    `^${PY_SPACE}*`,
    "v?",
    "(?:([0-9]+)!)?", // 1 epoch
    "([0-9]+(?:\\.[0-9]+)*)", // 2 release
    "(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?", // 3,4 pre
    "(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?", // 5 implicit post, 6,7 post
    "(?:[-_.]?(dev)[-_.]?([0-9]+)?)?", // 8,9 dev
    "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?", // 10 local
    `${PY_SPACE}*$`,
  ].join(""),
  "i",
);

/** Strip leading zeros from a string of ASCII digits ("" and "000" → "0"). */
function normNumber(digits: string): string {
  const stripped = digits.replace(/^0+/, "");
  return stripped === "" ? "0" : stripped;
}

/** Compare two normalised non-negative decimal strings numerically. */
function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function preLabel(raw: string): PreReleaseLabel {
  switch (raw.toLowerCase()) {
    case "a":
    case "alpha":
      return "a";
    case "b":
    case "beta":
      return "b";
    default:
      return "rc"; // c, rc, pre, preview
  }
}

const NUMERIC = /^[0-9]+$/;

/** Parse a version; `undefined` when it is not valid PEP 440. */
export function tryParseVersion(v: string): ParsedVersion | undefined {
  if (typeof v !== "string") return undefined;
  const m = VERSION_RE.exec(v);
  if (m === null) return undefined;
  const [, epoch, release, preL, preN, postImplicit, postL, postN, devL, devN, local] = m;
  if (release === undefined) return undefined;
  let post: string | undefined;
  if (postImplicit !== undefined) post = normNumber(postImplicit);
  else if (postL !== undefined) post = normNumber(postN ?? "0");
  return {
    epoch: normNumber(epoch ?? "0"),
    release: release.split(".").map(normNumber),
    pre:
      preL === undefined ? undefined : { label: preLabel(preL), number: normNumber(preN ?? "0") },
    post,
    dev: devL === undefined ? undefined : normNumber(devN ?? "0"),
    local: local
      ?.split(/[-_.]/)
      .map((seg) => (NUMERIC.test(seg) ? normNumber(seg) : seg.toLowerCase())),
  };
}

/** Parse a version; throws {@link InvalidVersionError} when it is not valid PEP 440. */
export function parseVersion(v: string): ParsedVersion {
  const parsed = tryParseVersion(v);
  if (parsed === undefined) throw new InvalidVersionError(v);
  return parsed;
}

export function isValidVersion(v: string): boolean {
  return tryParseVersion(v) !== undefined;
}

/** The canonical string of a parsed version (as `str(packaging.version.Version(...))`). */
export function formatVersion(p: ParsedVersion): string {
  let s = p.epoch === "0" ? "" : `${p.epoch}!`;
  s += p.release.join(".");
  if (p.pre !== undefined) s += `${p.pre.label}${p.pre.number}`;
  if (p.post !== undefined) s += `.post${p.post}`;
  if (p.dev !== undefined) s += `.dev${p.dev}`;
  if (p.local !== undefined) s += `+${p.local.join(".")}`;
  return s;
}

/** Canonical PEP 440 string; throws {@link InvalidVersionError} on invalid input. */
export function normalizeVersion(v: string): string {
  return formatVersion(parseVersion(v));
}

const PRE_RANK: Record<PreReleaseLabel, number> = { a: 0, b: 1, rc: 2 };
const PRE_RANK_DEV_ONLY = -1;
const PRE_RANK_NONE = 3;

function compareRelease(a: readonly string[], b: readonly string[]): number {
  // Trailing zeros do not count: 1.0 == 1.0.0 == 1.
  const trim = (r: readonly string[]): readonly string[] => {
    let n = r.length;
    while (n > 0 && r[n - 1] === "0") n--;
    return r.slice(0, n);
  };
  const x = trim(a);
  const y = trim(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = compareNumbers(x[i] as string, y[i] as string);
    if (c !== 0) return c;
  }
  return Math.sign(x.length - y.length);
}

/** (rank, number) pairs for pre, post and dev, so that pairwise order is PEP 440 order. */
function suffixKey(p: ParsedVersion): [number, string][] {
  let pre: [number, string];
  if (p.pre !== undefined) pre = [PRE_RANK[p.pre.label], p.pre.number];
  else if (p.post === undefined && p.dev !== undefined) pre = [PRE_RANK_DEV_ONLY, "0"];
  else pre = [PRE_RANK_NONE, "0"];
  const post: [number, string] = p.post === undefined ? [0, "0"] : [1, p.post];
  const dev: [number, string] = p.dev === undefined ? [1, "0"] : [0, p.dev];
  return [pre, post, dev];
}

function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return a === undefined ? -1 : 1; // no local sorts before any local
  }
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xNum = NUMERIC.test(x);
    const yNum = NUMERIC.test(y);
    let c: number;
    if (xNum && yNum) c = compareNumbers(x, y);
    else if (xNum !== yNum)
      c = xNum ? 1 : -1; // strings sort before numbers
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

/** Total PEP 440 order on parsed versions. */
export function compareParsedVersions(a: ParsedVersion, b: ParsedVersion): number {
  let c = compareNumbers(a.epoch, b.epoch);
  if (c !== 0) return c;
  c = compareRelease(a.release, b.release);
  if (c !== 0) return c;
  const ka = suffixKey(a);
  const kb = suffixKey(b);
  for (let i = 0; i < ka.length; i++) {
    const [rankA, numA] = ka[i] as [number, string];
    const [rankB, numB] = kb[i] as [number, string];
    c = rankA !== rankB ? Math.sign(rankA - rankB) : compareNumbers(numA, numB);
    if (c !== 0) return c;
  }
  return compareLocal(a.local, b.local);
}

/** PEP 440 ordering for sorting; throws {@link InvalidVersionError} on invalid input. */
export function compareVersions(a: string, b: string): number {
  return compareParsedVersions(parseVersion(a), parseVersion(b));
}

/** PEP 440 equality (`1.0 == 1.0.0`, `1.0+abc.7 == 1.0+ABC.07`); false if either is invalid. */
export function versionsEqual(a: string, b: string): boolean {
  const x = tryParseVersion(a);
  const y = tryParseVersion(b);
  return x !== undefined && y !== undefined && compareParsedVersions(x, y) === 0;
}
