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

/** One way around the proxy, and where it is written. */
export interface Bypass {
  /** `requirements.txt:3`, or `the command line`. */
  where: string;
  /** What it is, e.g. `--extra-index-url`, `a direct URL requirement (pkg @ https://...)`. */
  what: string;
}

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

export type Installer = "pip" | "uv";

/** The installer a command runs, and its arguments after the program (and `-m pip`). */
export function installerOf(
  argv: readonly string[],
): { installer: Installer; args: string[] } | undefined {
  const program = basename(argv[0] ?? "").replace(/\.exe$/i, "");
  if (/^pip(\d+(\.\d+)*)?$/.test(program)) return { installer: "pip", args: argv.slice(1) };
  if (program === "uv") return { installer: "uv", args: argv.slice(1) };
  // uvx is `uv tool run`.
  if (program === "uvx") return { installer: "uv", args: ["tool", "run", ...argv.slice(1)] };
  if (!/^(python|pypy)(\d+(\.\d+)*)?$/.test(program)) return undefined;
  // The interpreter's own options, up to -m MODULE (a script or -c is not pip).
  for (let i = 1; i < argv.length; i++) {
    const token = argv[i] ?? "";
    if (!token.startsWith("-") || token === "-" || token === "--") return undefined;
    if (token.startsWith("--")) continue; // --version, --help and the like
    for (let j = 1; j < token.length; j++) {
      const c = token[j];
      if (c === "c") return undefined;
      if (c === "m" || c === "W" || c === "X") {
        const rest = token.slice(j + 1);
        const value = rest !== "" ? rest : argv[++i];
        if (c !== "m") break;
        return value === "pip" ? { installer: "pip", args: argv.slice(i + 1) } : undefined;
      }
    }
  }
  return undefined;
}

const PIP_BYPASS_LONG = ["--index-url", "--extra-index-url", "--find-links", "--no-index"];
const UV_BYPASS_LONG = [...PIP_BYPASS_LONG, "--index", "--default-index"];
/** Short options that take a value (a cluster ends at the first of them). */
const PIP_VALUE_SHORT = new Set(["r", "c", "e", "t", "d", "i", "f", "C", "b"]);
const BYPASS_SHORT = new Set(["i", "f"]);
const UV_FILE_LONG = [
  "--requirement",
  "--requirements",
  "--constraint",
  "--constraints",
  "--override",
  "--overrides",
  "--build-constraint",
  "--build-constraints",
  "--with-requirements",
];
/**
 * uv options that take a value as the next argument (beyond those above): read so that
 * the value is not taken for the command of `uv run` / `uv tool run`.
 */
const UV_VALUE_LONG = new Set([
  "--with",
  "--with-editable",
  "--python",
  "--package",
  "--extra",
  "--group",
  "--only-group",
  "--no-group",
  "--env-file",
  "--directory",
  "--project",
  "--config-file",
  "--cache-dir",
  "--color",
  "--python-preference",
  "--from",
  "--index-strategy",
  "--keyring-provider",
  "--resolution",
  "--prerelease",
  "--exclude-newer",
  "--link-mode",
  "--upgrade-package",
  "--reinstall-package",
  "--refresh-package",
  "--no-binary-package",
  "--no-build-package",
  "--config-setting",
]);
const UV_VALUE_SHORT = new Set(["p", "w", "P"]);
/** `uv run COMMAND...`, `uv tool run COMMAND...`: what follows COMMAND is its own. */
const UV_RUNS = ["run", "tool run"];

/** Options whose URL values are not package sources. */
const URL_VALUED = new Set([
  "--proxy",
  "--cert",
  "--client-cert",
  "--trusted-host",
  "--allow-insecure-host",
  "--python-install-mirror",
  "--pypy-install-mirror",
  "--python-downloads-json-url",
  "--publish-url",
  "--check-url",
]);

interface CommandFinding {
  bypasses: Bypass[];
  /** Requirements/constraints files named, as written. */
  files: string[];
}

/** The bypassing options and the requirements files on an installer's command line. */
export function scanArguments(installer: Installer, args: readonly string[]): CommandFinding {
  const bypasses: Bypass[] = [];
  const files: string[] = [];
  const here = "the command line";
  const bypassLong = installer === "pip" ? PIP_BYPASS_LONG : UV_BYPASS_LONG;
  const editable = (value: string): void => {
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) && !/^file:/i.test(value)) {
      bypasses.push({ where: here, what: `an editable URL requirement (-e ${redact(value)})` });
    }
  };
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i] ?? "";
    if (token === "--") break;
    if (installer === "uv" && !token.startsWith("-")) {
      // The command uv runs, and its arguments, are not uv's.
      if (UV_RUNS.includes(positionals.join(" "))) break;
      positionals.push(token);
    }
    if (token.startsWith("--") && token.length > 2) {
      const eq = token.indexOf("=");
      const name = eq === -1 ? token : token.slice(0, eq);
      const attached = eq === -1 ? undefined : token.slice(eq + 1);
      // pip (optparse) accepts any unique prefix of a long option; uv (clap) only full names.
      const matches = (full: string): boolean =>
        installer === "pip" ? name.length >= 3 && full.startsWith(name) : full === name;
      const bypass = bypassLong.find(matches);
      if (bypass !== undefined) {
        bypasses.push({ where: here, what: bypass });
        if (attached === undefined && bypass !== "--no-index") i++;
        continue;
      }
      const isFile =
        installer === "pip"
          ? name.length >= 5 &&
            ("--requirement".startsWith(name) || "--constraint".startsWith(name))
          : UV_FILE_LONG.includes(name);
      const isEditable =
        installer === "pip"
          ? name.length >= 4 && "--editable".startsWith(name)
          : name === "--editable";
      const takesValue = URL_VALUED.has(name) || (installer === "uv" && UV_VALUE_LONG.has(name));
      if (isFile || isEditable || takesValue) {
        const value = attached ?? args[++i];
        if (isFile && value !== undefined) files.push(value);
        if (isEditable && value !== undefined) editable(value);
      }
      continue;
    }
    if (token.startsWith("-") && token.length > 1) {
      for (let j = 1; j < token.length; j++) {
        const c = token.charAt(j);
        if (BYPASS_SHORT.has(c)) {
          bypasses.push({
            where: here,
            what: c === "i" ? "-i (--index-url)" : "-f (--find-links)",
          });
          if (j === token.length - 1) i++;
          break;
        }
        if (PIP_VALUE_SHORT.has(c) || (installer === "uv" && UV_VALUE_SHORT.has(c))) {
          const value = j < token.length - 1 ? token.slice(j + 1) : args[++i];
          const isFile = c === "r" || c === "c" || (installer === "uv" && c === "b");
          if (isFile && value !== undefined) files.push(value);
          if (c === "e" && value !== undefined) editable(value);
          break;
        }
      }
      continue;
    }
    if (isDirectUrl(token)) {
      bypasses.push({ where: here, what: `a direct URL requirement (${redact(token)})` });
    }
  }
  return { bypasses, files };
}

/** A URL (or `name @ URL`) requirement: fetched from there, not through the proxy. */
function isDirectUrl(token: string): boolean {
  const scheme =
    /^\s*(?:[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@\s*)?([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(
      token,
    )?.[1];
  return scheme !== undefined && scheme.toLowerCase() !== "file";
}

/** A URL as it may be shown: credentials removed, shortened. */
export function redact(text: string): string {
  const t = text.replace(/(:\/\/)[^/@\s]*@/g, "$1***@");
  return t.length > 100 ? `${t.slice(0, 97)}...` : t;
}

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
    return;
  }
  for (const opt of parsed) {
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
