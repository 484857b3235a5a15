/**
 * Python project names (PEP 503 normalisation, PEP 508 / core metadata validity),
 * as in `packaging.utils.canonicalize_name`.
 */

/**
 * PEP 503 normalised form: lowercase, each run of `-`, `_` and `.` becomes one `-`.
 * Does not validate: any string has a canonical form.
 */
export function canonicalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/*
 * "i" without "u": non-ASCII letters never fold onto ASCII ones (the Kelvin
 * sign is not "k"), as with Python's re.IGNORECASE | re.ASCII. `$` without "m"
 * matches only at the very end (no trailing newline).
 */
const PROJECT_NAME_RE = /^(?:[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

/** The core metadata `Name` rule: ASCII letters/digits, inner `.`, `_`, `-`. */
export function isValidProjectName(name: string): boolean {
  return typeof name === "string" && PROJECT_NAME_RE.test(name);
}

/** Whether two project names denote the same project after normalisation. */
export function sameProjectName(a: string, b: string): boolean {
  return canonicalizeName(a) === canonicalizeName(b);
}
