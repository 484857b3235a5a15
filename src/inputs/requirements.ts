/**
 * pip requirements files (`requirements.txt`, pip-compile output), read the
 * way pip reads them:
 *
 * - physical lines ending in `\` are joined (the logical line keeps the first
 *   line's number); `#` starts a comment at line start or after whitespace;
 * - `${NAME}` (NAME of `[A-Z0-9_]`) is replaced by a non-empty environment
 *   variable, and left as written otherwise;
 * - `-r`/`--requirement` and `-c`/`--constraint` include other files,
 *   relative to the including file; `-r` inside a constraints file yields
 *   requirements again (as in pip); include cycles are errors;
 * - `--hash=ALG:HEX` after a requirement: sha256 goes to `hashes`, sha384 and
 *   sha512 to `otherHashes`, anything else is an error;
 * - option lines: `--index-url`/`-i`, `--extra-index-url`, `--find-links`
 *   and `--no-index` are recorded and bound to every requirement of the run
 *   (pip applies them file-wide); the other pip options are accepted and
 *   ignored; unknown options are errors.
 *
 * Stricter than pip, on purpose: `--hash` on a line without a requirement
 * (a forgotten `\`), a non-per-requirement option after a requirement, and
 * stray text after the options are errors rather than silently ignored.
 *
 * Direct references (`pkg @ URL`, a bare URL or path, `-e ...`) are returned
 * with `url` and `nonIndex` set and `pinned: false`; their name comes from the
 * `pkg @` prefix, an `#egg=` fragment or a wheel file name, else it is the
 * reference as written (`nonIndex.named: false`). Paths are kept as written
 * (pip resolves them against the working directory, not the file).
 * Constraints are returned apart from the requirements: they restrict
 * versions but select nothing.
 *
 * Error messages quote the line as written, before `${VAR}` expansion, so
 * that secrets in variables do not end up in logs.
 */
import { dirname, isAbsolute, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { PyprovError } from "../errors.js";
import { checkTextSize, malformed, pushUnique, readInputText } from "./parse-common.js";
import { editableTarget, requirementTarget, SpecifierError } from "./req-spec.js";
import type { ParsedOption } from "./req-options.js";
import { breakArgsOptions, OptionError, parseOptions } from "./req-options.js";
import type { OtherHash, TargetSpec } from "./types.js";

/** Most files a requirements file may include, directly or not. */
export const MAX_INCLUDED_FILES = 64;
/** Most text (in UTF-16 code units) read across a file and its includes. */
export const MAX_TOTAL_INCLUDED_CHARS = 32 * 1024 * 1024;

export interface RequirementsResult {
  /** The requirements, in file order (includes expanded in place). */
  targets: TargetSpec[];
  /** Entries of constraints files (`-c`). */
  constraints: TargetSpec[];
  /** The last `--index-url`/`-i` given, if any (as written after env expansion: may hold credentials). */
  indexUrl?: string;
  extraIndexUrls: string[];
  /** `--find-links`/`-f` locations, as written (pip may take files from them). */
  findLinks: string[];
  /** `--no-index` was given: pip uses only the find-links locations. */
  noIndex: boolean;
  /** Every file read, the top one first. */
  files: string[];
}

export interface RequirementsOptions {
  /** Variables for `${NAME}` expansion. parseRequirements: none; loadRequirementsFile: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

interface State {
  result: RequirementsResult;
  env: Readonly<Record<string, string | undefined>>;
  readInclude: (path: string) => string;
  stack: string[];
  chars: number;
}

/** Parse a requirements file's text; includes are read through `readInclude`. */
export function parseRequirements(
  text: string,
  file: string,
  readInclude: (path: string) => string,
  options: RequirementsOptions = {},
): RequirementsResult {
  const state: State = {
    result: {
      targets: [],
      constraints: [],
      extraIndexUrls: [],
      findLinks: [],
      noIndex: false,
      files: [],
    },
    env: options.env ?? {},
    readInclude,
    stack: [],
    chars: 0,
  };
  parseFile(state, text, file, false);
  bindSources(state.result);
  return state.result;
}

/**
 * pip applies a file's index options to every requirement in it, wherever
 * they stand (the last --index-url wins): record on each requirement the
 * sources pip would search, so resolution asks the same ones.
 */
function bindSources(result: RequirementsResult): void {
  for (const t of result.targets) {
    if (t.nonIndex) continue;
    if (result.indexUrl !== undefined) t.index = result.indexUrl;
    if (result.extraIndexUrls.length > 0) t.extraIndexes = [...result.extraIndexUrls];
    if (result.findLinks.length > 0) t.findLinks = [...result.findLinks];
    if (result.noIndex) t.noIndex = true;
  }
}

/** Read and parse a requirements file from disk, with its includes; `${VAR}` from process.env. */
export function loadRequirementsFile(
  path: string,
  options: RequirementsOptions = {},
): RequirementsResult {
  return parseRequirements(readInputText(path), path, readInputText, {
    env: options.env ?? process.env,
  });
}

function parseFile(state: State, text: string, file: string, constraint: boolean): void {
  checkTextSize(text, file);
  state.chars += text.length;
  if (state.chars > MAX_TOTAL_INCLUDED_CHARS) {
    throw new PyprovError(
      "INPUT_TOO_LARGE",
      `requirements files and their includes exceed ${MAX_TOTAL_INCLUDED_CHARS} characters`,
      { source: file },
    );
  }
  state.stack.push(normalize(file));
  state.result.files.push(file);
  for (const { line, text: raw } of logicalLines(text)) {
    const expanded = raw.replace(/\$\{([A-Z0-9_]+)\}/g, (all, name: string) => {
      const value = state.env[name];
      return value === undefined || value === "" ? all : value;
    });
    handleLine(state, expanded, raw, file, line, constraint);
  }
  state.stack.pop();
}

/** Logical lines (joined continuations), comments removed, blank ones dropped. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const physical = text.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/);
  if (physical.length > 0 && physical[physical.length - 1] === "") physical.pop();
  const joined: { line: number; text: string }[] = [];
  let pending: { line: number; parts: string[] } | undefined;
  physical.forEach((raw, index) => {
    let line = raw;
    const isComment = /^\s*#/.test(line);
    if (!line.endsWith("\\") || isComment) {
      if (isComment) line = " " + line;
      if (pending) {
        pending.parts.push(line);
        joined.push({ line: pending.line, text: pending.parts.join("") });
        pending = undefined;
      } else joined.push({ line: index + 1, text: line });
    } else {
      pending ??= { line: index + 1, parts: [] };
      pending.parts.push(line.replace(/^\\+|\\+$/g, ""));
    }
  });
  if (pending) joined.push({ line: pending.line, text: pending.parts.join("") });
  const out: { line: number; text: string }[] = [];
  for (const { line, text: t } of joined) {
    const stripped = t.replace(/(^|\s+)#.*$/, "").trim();
    if (stripped !== "") out.push({ line, text: stripped });
  }
  return out;
}

function handleLine(
  state: State,
  text: string,
  raw: string,
  file: string,
  line: number,
  constraint: boolean,
): void {
  const { args, options } = breakArgsOptions(text);
  let opts: ParsedOption[];
  try {
    opts = parseOptions(options);
  } catch (err) {
    if (err instanceof OptionError) throw malformed(file, `${err.message}: ${quote(raw)}`, line);
    throw err;
  }
  const list = constraint ? state.result.constraints : state.result.targets;
  if (args !== "") {
    const misplaced = opts.find((o) => !o.perRequirement);
    if (misplaced) {
      throw malformed(file, `option ${misplaced.spelled} is not allowed after a requirement`, line);
    }
    const target = specifier(() => requirementTarget(args, { file, line }), raw, file, line);
    addHashes(target, opts, file, line);
    list.push(target);
    return;
  }
  for (const opt of opts) {
    switch (opt.id) {
      case "requirement":
      case "constraint":
        include(state, opt.value, file, line, opt.id === "constraint");
        break;
      case "editable":
        list.push(specifier(() => editableTarget(opt.value, { file, line }), raw, file, line));
        break;
      case "index-url":
        state.result.indexUrl = opt.value;
        break;
      case "extra-index-url":
        pushUnique(state.result.extraIndexUrls, opt.value);
        break;
      case "find-links":
        pushUnique(state.result.findLinks, opt.value);
        break;
      case "no-index":
        state.result.noIndex = true;
        break;
      case "hash":
        throw malformed(
          file,
          `${opt.spelled} on a line without a requirement (missing "\\" continuation?)`,
          line,
        );
      default:
        break; // accepted pip options with no bearing on what is verified
    }
  }
}

function include(state: State, target: string, file: string, line: number, constraint: boolean) {
  let path: string;
  if (/^file:/i.test(target)) {
    try {
      path = fileURLToPath(target);
    } catch {
      throw malformed(file, `invalid file URL ${quote(target)}`, line);
    }
  } else if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(target)) {
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `line ${line}: remote include ${quote(target.replace(/\/\/[^/@]*@/, "//***@"))} is not fetched; download it first`,
      { source: file },
    );
  } else path = isAbsolute(target) ? target : join(dirname(file), target);
  const key = normalize(path);
  if (state.stack.includes(key)) {
    const cycle = [...state.stack.slice(state.stack.indexOf(key)), key].join(" -> ");
    throw malformed(file, `include cycle: ${cycle}`, line);
  }
  if (state.result.files.length >= MAX_INCLUDED_FILES + 1) {
    throw new PyprovError(
      "INPUT_TOO_LARGE",
      `line ${line}: more than ${MAX_INCLUDED_FILES} included requirements files`,
      { source: file },
    );
  }
  let text: string;
  try {
    text = state.readInclude(path);
  } catch (err) {
    if (err instanceof PyprovError) {
      throw new PyprovError(err.code, `${err.message} (included from ${file} line ${line})`, {
        source: err.source ?? path,
        cause: err,
      });
    }
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `cannot read file (included from ${file} line ${line})`,
      {
        source: path,
        cause: err,
      },
    );
  }
  parseFile(state, text, path, constraint);
}

const HASH_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function addHashes(target: TargetSpec, opts: ParsedOption[], file: string, line: number): void {
  const other: OtherHash[] = [];
  for (const opt of opts) {
    if (opt.id !== "hash") continue;
    const colon = opt.value.indexOf(":");
    const algorithm = colon === -1 ? "" : opt.value.slice(0, colon).toLowerCase();
    const digest = opt.value.slice(colon + 1).toLowerCase();
    const length = HASH_LENGTHS[algorithm];
    if (length === undefined) {
      throw malformed(
        file,
        `invalid --hash ${quote(opt.value)}: expected sha256:, sha384: or sha512: followed by hex`,
        line,
      );
    }
    if (digest.length !== length || !/^[0-9a-f]+$/.test(digest)) {
      throw malformed(
        file,
        `invalid --hash ${quote(opt.value)}: a ${algorithm} digest is ${length} hex digits`,
        line,
      );
    }
    if (algorithm === "sha256") pushUnique(target.hashes, digest);
    else if (!other.some((h) => h.digest === digest)) {
      other.push({ algorithm: algorithm === "sha384" ? "sha384" : "sha512", digest });
    }
  }
  if (other.length > 0) target.otherHashes = other;
  const exact = target.version !== undefined && target.nonIndex === undefined;
  target.pinned = exact && target.hashes.length + other.length > 0;
}

function specifier(parse: () => TargetSpec, raw: string, file: string, line: number): TargetSpec {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SpecifierError) {
      throw malformed(file, `invalid requirement ${quote(raw)}: ${err.message}`, line);
    }
    throw err;
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}
