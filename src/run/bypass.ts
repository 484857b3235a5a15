/**
 * What `pyprov run` refuses before it starts the command: ways for pip or uv
 * to take files from somewhere other than the proxy.
 *
 * - On the command line of a recognised installer (`pip`, `pip3`,
 *   `python -m pip`, `uv`, `uvx`; for `uv run`/`uv tool run`/`uvx`, up to the
 *   command they run): `--index-url`/`-i`, `--extra-index-url`,
 *   `--find-links`/`-f`, `--no-index` (uv also `--index`, `--default-index`),
 *   spelled as pip accepts them (`-iURL`, `--index-url=URL`, a unique prefix
 *   such as `--extra`, a short-option cluster such as `-qi URL`), and direct
 *   URL arguments (`name @ https://...`, `git+https://...`).
 * - In every requirements or constraints file the command names (`-r f`,
 *   `-rf`, `--requirement=f`, `-c f`, uv's `--requirements`, `--overrides`,
 *   ...) and the files they include (`-r`/`-c` inside a file, relative to
 *   it): `--index-url`/`-i`, `--extra-index-url`, `--find-links`/`-f` and
 *   `--no-index` lines, direct URL, VCS and local path requirements
 *   (including `-e`), and remote includes, each reported at file:line.
 *
 * The command line is read by run/args.ts; this module reads the files.
 * Lines are read as pip reads them (continuations, comments, `${VAR}` from
 * the command's environment). A file that cannot be read, or a line pip
 * would not accept, is an error: what cannot be checked is not let through.
 * Pure: files are read through `readFile`.
 */
import { basename, dirname, isAbsolute, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PyprovError } from "../errors.js";
import { malformed } from "../inputs/parse-common.js";
import { breakArgsOptions, OptionError, parseOptions } from "../inputs/req-options.js";
import { editableTarget, requirementTarget, SpecifierError } from "../inputs/req-spec.js";
import { logicalLines } from "../inputs/requirements.js";
import type { TargetSpec } from "../inputs/types.js";
import { installerOf, redact, scanArguments, type Bypass } from "./args.js";

export { installerOf, redact, scanArguments, type Bypass, type Installer } from "./args.js";

export interface ScanResult {
  bypasses: Bypass[];
  /** Every requirements/constraints file read (named on the command line or included). */
  files: string[];
  /** Files named with -r that were not scanned (uv reads pyproject.toml, setup.cfg, setup.py). */
  notScanned: string[];
}

export interface ScanOptions {
  /** Reads a file's text; throws a PyprovError (or any error) when it cannot. */
  readFile: (path: string) => string;
  /** Relative paths on the command line are relative to this. */
  cwd: string;
  /** The command's environment, for `${VAR}` in requirements files. */
  env: Readonly<Record<string, string | undefined>>;
}

/** Most files one scan reads (the command's and everything they include). */
export const MAX_SCANNED_FILES = 64;

/** uv reads these as project metadata, not as pip-format requirements files. */
function isProjectFile(path: string): boolean {
  const name = basename(path);
  return name === "pyproject.toml" || name === "setup.cfg" || name === "setup.py";
}

/** A PEP 751 lock: it names each file's URL, which uv downloads directly. */
function isPylock(path: string): boolean {
  return /^pylock\.([^.]+\.)?toml$/.test(basename(path));
}

/** Scan a command: its arguments if it is pip or uv, and every requirements file they name. */
export function scanCommand(argv: readonly string[], opts: ScanOptions): ScanResult {
  const result: ScanResult = { bypasses: [], files: [], notScanned: [] };
  const inst = installerOf(argv);
  if (!inst) return result;
  const found = scanArguments(inst.installer, inst.args);
  result.bypasses.push(...found.bypasses);
  const seen = new Set<string>();
  for (const file of found.files) {
    if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(file) && !/^file:/i.test(file)) {
      result.bypasses.push({
        where: "the command line",
        what: `a remote requirements file (${redact(file)}), which cannot be checked`,
      });
      continue;
    }
    const path = /^file:/i.test(file) ? fileUrlPath(file, "the command line", 0) : file;
    if (inst.installer === "uv" && isProjectFile(path)) {
      result.notScanned.push(path);
      continue;
    }
    if (inst.installer === "uv" && isPylock(path)) {
      result.bypasses.push({
        where: "the command line",
        what: `a lock file (${file}), whose files uv downloads from the URLs it names`,
      });
      continue;
    }
    scanFile(result, seen, opts, isAbsolute(path) ? path : join(opts.cwd, path), file, undefined);
  }
  return result;
}

function fileUrlPath(url: string, file: string, line: number): string {
  try {
    return fileURLToPath(url);
  } catch {
    throw malformed(file, `invalid file URL ${JSON.stringify(redact(url))}`, line || undefined);
  }
}

/** `shown` is the file's name in messages: as written on the command line, else the resolved path. */
function scanFile(
  result: ScanResult,
  seen: Set<string>,
  opts: ScanOptions,
  path: string,
  shown: string,
  from: { file: string; line: number } | undefined,
): void {
  const key = normalize(resolve(path));
  if (seen.has(key)) return; // included twice (or a cycle): its lines are already checked
  seen.add(key);
  if (seen.size > MAX_SCANNED_FILES) {
    throw new PyprovError(
      "INPUT_TOO_LARGE",
      `more than ${MAX_SCANNED_FILES} requirements files to check`,
      { source: from ? `${from.file}:${from.line}` : shown },
    );
  }
  let text: string;
  try {
    text = opts.readFile(path);
  } catch (err) {
    const via = from ? ` (included from ${from.file}:${from.line})` : "";
    const why = err instanceof PyprovError ? err.message : "cannot read the file";
    throw new PyprovError(
      err instanceof PyprovError ? err.code : "INPUT_UNREADABLE",
      `${why}${via}; pyprov run checks every requirements file for ways around the proxy`,
      { source: shown, cause: err },
    );
  }
  result.files.push(shown);
  for (const { line, text: raw } of logicalLines(text)) {
    const expanded = raw.replace(/\$\{([A-Z0-9_]+)\}/g, (all, name: string) => {
      const value = opts.env[name];
      return value === undefined || value === "" ? all : value;
    });
    scanLine(result, seen, opts, expanded, shown, path, line);
  }
}

function scanLine(
  result: ScanResult,
  seen: Set<string>,
  opts: ScanOptions,
  text: string,
  shown: string,
  path: string,
  line: number,
): void {
  const where = `${shown}:${line}`;
  const { args, options } = breakArgsOptions(text);
  let parsed;
  try {
    parsed = parseOptions(options);
  } catch (err) {
    if (err instanceof OptionError) throw malformed(shown, err.message, line);
    throw err;
  }
  if (args !== "") {
    const target = spec(() => requirementTarget(args, { file: shown, line }), shown, line);
    if (target.nonIndex) result.bypasses.push({ where, what: directWhat(target) });
  }
  for (const opt of parsed) {
    // After a requirement only its own options count for pip; an index option there is
    // refused all the same (whatever pip makes of it, it is not through the proxy).
    if (args !== "" && !BYPASS_OPTIONS.has(opt.id)) continue;
    switch (opt.id) {
      case "index-url":
      case "extra-index-url":
      case "find-links":
      case "no-index":
        result.bypasses.push({
          where,
          what: opt.spelled.startsWith("--") ? `--${opt.id}` : `${opt.spelled} (--${opt.id})`,
        });
        break;
      case "editable": {
        const target = spec(() => editableTarget(opt.value, { file: shown, line }), shown, line);
        result.bypasses.push({ where, what: directWhat(target) });
        break;
      }
      case "requirement":
      case "constraint": {
        const value = opt.value;
        if (/^file:/i.test(value)) {
          const p = fileUrlPath(value, shown, line);
          scanFile(result, seen, opts, p, p, { file: shown, line });
        } else if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(value)) {
          result.bypasses.push({
            where,
            what: `a remote include (${redact(value)}), which cannot be checked`,
          });
        } else {
          const p = isAbsolute(value) ? value : join(dirname(path), value);
          scanFile(result, seen, opts, p, p, { file: shown, line });
        }
        break;
      }
      default:
        break;
    }
  }
}

const BYPASS_OPTIONS: ReadonlySet<string> = new Set([
  "index-url",
  "extra-index-url",
  "find-links",
  "no-index",
]);

function spec(parse: () => TargetSpec, file: string, line: number): TargetSpec {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SpecifierError)
      throw malformed(file, `invalid requirement: ${err.message}`, line);
    throw err;
  }
}

function directWhat(t: TargetSpec): string {
  const ref = redact(t.nonIndex?.url ?? t.nonIndex?.path ?? t.name);
  switch (t.nonIndex?.kind) {
    case "vcs":
      return `a VCS requirement (${ref})`;
    case "editable":
      return `an editable requirement (-e ${ref})`;
    case "path":
    case "directory":
      return `a local path requirement (${ref})`;
    default:
      return `a direct URL requirement (${ref})`;
  }
}
