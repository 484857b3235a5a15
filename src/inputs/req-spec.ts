/**
 * PEP 508 dependency specifiers, parsed far enough to find the name, extras,
 * version specifiers, direct URL and environment marker (the marker is only
 * checked for well-formedness, never evaluated). Pure functions, no I/O.
 */
import { tryParseVersion } from "../pypi/version.js";
import { filenameFromPath, filenameFromUrl, PROJECT_NAME } from "./parse-common.js";
import type { NonIndexSource, TargetSpec } from "./types.js";

type Source = TargetSpec["source"];

export interface VersionSpecifier {
  op: "===" | "==" | "!=" | "~=" | "<=" | ">=" | "<" | ">";
  version: string;
}

export interface ParsedRequirement {
  name: string;
  extras: string[];
  specifiers: VersionSpecifier[];
  url?: string;
  marker?: string;
}

/** Thrown (and caught by the callers) for a malformed specifier. */
export class SpecifierError extends Error {}

const NAME_RE = /[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/y;
const WS_RE = /[ \t]*/y;
const OP_RE = /===|==|~=|!=|<=|>=|<|>/y;
const OP_START_RE = /^(?:===|==|~=|!=|<=|>=|<|>)/;
const OPERATORS: readonly string[] = ["===", "==", "!=", "~=", "<=", ">=", "<", ">"];
const VERSION_TOKEN_RE = /[^\s;,)]+/y;
const URL_RE = /[^ \t]+/y;

function isOperator(op: string | undefined): op is VersionSpecifier["op"] {
  return op !== undefined && OPERATORS.includes(op);
}

/** PEP 503 normalised project name. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

export function isValidProjectName(name: string): boolean {
  return PROJECT_NAME.test(name);
}

/** Parse `name [extras] (specifiers | @ url) ; marker`. Throws {@link SpecifierError}. */
export function parseRequirementString(text: string): ParsedRequirement {
  let pos = 0;
  const ws = (): number => {
    WS_RE.lastIndex = pos;
    WS_RE.test(text);
    const skipped = WS_RE.lastIndex - pos;
    pos = WS_RE.lastIndex;
    return skipped;
  };
  const take = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) return undefined;
    pos = re.lastIndex;
    return m[0];
  };

  ws();
  const name = take(NAME_RE);
  if (name === undefined) throw new SpecifierError("expected a project name");
  if (pos < text.length && !/[ \t[(;@<>=!~]/.test(text[pos] ?? "")) {
    throw new SpecifierError(`invalid character ${JSON.stringify(text[pos])} in project name`);
  }
  ws();
  const extras: string[] = [];
  if (text[pos] === "[") {
    pos++;
    ws();
    if (text[pos] !== "]") {
      for (;;) {
        ws();
        const extra = take(NAME_RE);
        if (extra === undefined) throw new SpecifierError("invalid extra name");
        extras.push(extra);
        ws();
        if (text[pos] === ",") pos++;
        else break;
      }
    }
    if (text[pos] !== "]") throw new SpecifierError("expected ']' after extras");
    pos++;
    ws();
  }
  const result: ParsedRequirement = { name, extras, specifiers: [] };
  if (text[pos] === "@") {
    pos++;
    ws();
    const url = take(URL_RE);
    if (url === undefined) throw new SpecifierError("expected a URL after '@'");
    result.url = url;
    const gap = ws();
    if (pos < text.length && (gap === 0 || text[pos] !== ";")) {
      throw new SpecifierError("expected ';' (after whitespace) or end after the URL");
    }
  } else {
    const parens = text[pos] === "(";
    if (parens) pos++;
    ws();
    if (OP_START_RE.test(text.slice(pos))) {
      for (;;) {
        ws();
        const op = take(OP_RE);
        if (!isOperator(op)) throw new SpecifierError("expected a version operator");
        ws();
        const version = take(VERSION_TOKEN_RE);
        if (version === undefined) throw new SpecifierError(`expected a version after '${op}'`);
        checkSpecifier(op, version);
        result.specifiers.push({ op, version });
        ws();
        if (text[pos] === ",") pos++;
        else break;
      }
    }
    if (parens) {
      if (text[pos] !== ")") throw new SpecifierError("expected ')'");
      pos++;
      ws();
    }
  }
  if (pos < text.length) {
    if (text[pos] !== ";") {
      throw new SpecifierError(`unexpected ${JSON.stringify(text.slice(pos, pos + 20))}`);
    }
    const marker = text.slice(pos + 1).trim();
    checkMarker(marker);
    result.marker = marker;
  }
  return result;
}

function checkSpecifier(op: VersionSpecifier["op"], version: string): void {
  if (op === "===") return;
  let v = version;
  if ((op === "==" || op === "!=") && v.endsWith(".*")) {
    v = v.slice(0, -2);
    const parsed = tryParseVersion(v);
    if (parsed !== undefined && parsed.local === undefined) return;
  } else {
    const parsed = tryParseVersion(v);
    if (parsed !== undefined) {
      if (op === "==" || op === "!=") return;
      if (parsed.local === undefined && (op !== "~=" || parsed.release.length >= 2)) return;
    }
  }
  throw new SpecifierError(`invalid version specifier '${op}${version}'`);
}

const MARKER_VARIABLES = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
  "extras",
  "dependency_groups",
]);

const MARKER_TOKEN_RE =
  /\s*(?:(\()|(\))|('[^']*'|"[^"]*")|(===|==|!=|<=|>=|~=|<|>)|(not\s+in\b|in\b|and\b|or\b)|([A-Za-z_][A-Za-z0-9_.]*))/y;

type MarkerToken =
  { t: "(" | ")" | "str" | "op" | "and" | "or" | "var"; text: string } | { t: "end"; text: string };

/** Check that a marker is well formed (PEP 508 grammar, known variables). Throws {@link SpecifierError}. */
export function checkMarker(marker: string): void {
  const tokens: MarkerToken[] = [];
  let pos = 0;
  while (pos < marker.length) {
    if (/^\s*$/.test(marker.slice(pos))) break;
    MARKER_TOKEN_RE.lastIndex = pos;
    const m = MARKER_TOKEN_RE.exec(marker);
    if (m === null) {
      throw new SpecifierError(`invalid marker near ${JSON.stringify(marker.slice(pos).trim())}`);
    }
    pos = MARKER_TOKEN_RE.lastIndex;
    if (m[1]) tokens.push({ t: "(", text: m[1] });
    else if (m[2]) tokens.push({ t: ")", text: m[2] });
    else if (m[3]) tokens.push({ t: "str", text: m[3] });
    else if (m[4]) tokens.push({ t: "op", text: m[4] });
    else if (m[5] === "and" || m[5] === "or") tokens.push({ t: m[5], text: m[5] });
    else if (m[5]) tokens.push({ t: "op", text: m[5] });
    else if (m[6]) {
      if (!MARKER_VARIABLES.has(m[6]))
        throw new SpecifierError(`unknown marker variable '${m[6]}'`);
      tokens.push({ t: "var", text: m[6] });
    }
  }
  let i = 0;
  const peek = (): MarkerToken => tokens[i] ?? { t: "end", text: "end of marker" };
  const expect = (t: MarkerToken["t"]): void => {
    const tok = peek();
    if (tok.t !== t) throw new SpecifierError(`invalid marker: unexpected ${tok.text}`);
    i++;
  };
  const value = (): void => {
    const tok = peek();
    if (tok.t !== "var" && tok.t !== "str") {
      throw new SpecifierError(`invalid marker: expected a variable or string, got ${tok.text}`);
    }
    i++;
  };
  const atom = (): void => {
    if (peek().t === "(") {
      i++;
      orExpr();
      expect(")");
      return;
    }
    value();
    expect("op");
    value();
  };
  const andExpr = (): void => {
    atom();
    while (peek().t === "and") {
      i++;
      atom();
    }
  };
  const orExpr = (): void => {
    andExpr();
    while (peek().t === "or") {
      i++;
      andExpr();
    }
  };
  if (tokens.length === 0) throw new SpecifierError("empty marker");
  orExpr();
  expect("end");
}

/** A wheel file name's project name and version (`name-ver(-build)?-py-abi-plat.whl`). */
export function parseWheelFilename(
  filename: string,
): { name: string; version: string } | undefined {
  if (!filename.toLowerCase().endsWith(".whl")) return undefined;
  const parts = filename.slice(0, -4).split("-");
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [name, version] = parts;
  if (name === undefined || version === undefined || !isValidProjectName(name)) return undefined;
  return { name, version };
}

// Requirements-file lines: index requirements and direct references (URL, path, editable).

const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const VCS_SCHEME = /^(git|hg|svn|bzr)(\+.*)?$/i;
const ARCHIVE_EXT = /\.(whl|zip|tar|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tar\.lz|tlz|tar\.lzma)$/i;
const SPECIFIER_START = /^[A-Za-z0-9._-]+\s*(\[[^\]]*\])?\s*(\(|===|==|~=|!=|<=|>=|<|>|;|$)/;

export function isUrl(text: string): boolean {
  const scheme = URL_SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return false;
  return ["http", "https", "file", "ftp"].includes(scheme) || VCS_SCHEME.test(scheme);
}

function urlKind(url: string): NonIndexSource["kind"] {
  if (!isUrl(url)) return "path";
  const scheme = URL_SCHEME.exec(url)?.[1] ?? "";
  if (VCS_SCHEME.test(scheme)) return "vcs";
  return scheme.toLowerCase() === "file" ? "path" : "url";
}

/** A requirements-file requirement (without its options). Throws {@link SpecifierError}. */
export function requirementTarget(args: string, source: Source): TargetSpec {
  if (isUrl(args)) {
    const sep = args.indexOf("; ");
    const ref = (sep === -1 ? args : args.slice(0, sep)).trim();
    const markers = sep === -1 ? undefined : args.slice(sep + 2).trim();
    return directTarget(ref, urlKind(ref), source, markers, []);
  }
  // As pip: the marker is split off at the first ";" before the rest is looked at.
  const semi = args.indexOf(";");
  const spec = (semi === -1 ? args : args.slice(0, semi)).trim();
  const marker = semi === -1 ? "" : args.slice(semi + 1).trim();
  const pathLike =
    !/^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@/.test(spec) &&
    !SPECIFIER_START.test(spec) &&
    (/[/\\]/.test(spec) || spec.startsWith(".") || ARCHIVE_EXT.test(spec));
  if (pathLike) {
    const m = /^(.+)\[([^\]]+)\]$/.exec(spec);
    const extras = m?.[2]?.split(",").map((e) => e.trim()) ?? [];
    return directTarget(m?.[1] ?? spec, "path", source, marker, extras);
  }
  const req = parseRequirementString(spec);
  if (marker !== "") {
    checkMarker(marker);
    req.marker = marker;
  }
  if (req.url !== undefined) {
    const kind = urlKind(req.url);
    return directTarget(req.url, kind, source, req.marker, req.extras, req.name);
  }
  const target: TargetSpec = { name: req.name, files: [], hashes: [], pinned: false, source };
  const [only] = req.specifiers;
  if (req.specifiers.length === 1 && only !== undefined) {
    if (only.op === "===" || (only.op === "==" && !only.version.endsWith(".*"))) {
      target.version = only.version;
    }
  }
  if (req.marker !== undefined) target.markers = req.marker;
  if (req.extras.length > 0) target.extras = req.extras;
  return target;
}

/** The value of `-e`/`--editable`. Throws {@link SpecifierError}. */
export function editableTarget(value: string, source: Source): TargetSpec {
  if (isUrl(value)) return directTarget(value, "editable", source, undefined, []);
  const m = /^(.+)\[([^\]]+)\]$/.exec(value);
  const extras = m?.[2]?.split(",").map((e) => e.trim()) ?? [];
  return directTarget(m?.[1] ?? value, "editable", source, undefined, extras);
}

/** A direct reference: name from `#egg=` or a wheel file name, else the reference itself. */
function directTarget(
  ref: string,
  kind: NonIndexSource["kind"],
  source: Source,
  markers: string | undefined,
  extras: string[],
  explicitName?: string,
): TargetSpec {
  if (ref === "") throw new SpecifierError("empty requirement");
  const url = isUrl(ref);
  const nonIndex: NonIndexSource = { kind, named: false };
  if (url) nonIndex.url = ref;
  else nonIndex.path = ref;
  let name = explicitName;
  let version: string | undefined;
  const egg = /[#&]egg=([^&]*)/.exec(ref)?.[1];
  if (egg !== undefined && name === undefined) {
    let decoded = egg;
    try {
      decoded = decodeURIComponent(egg);
    } catch {
      // keep as written
    }
    decoded = decoded.replace(/\[.*$/, "");
    if (isValidProjectName(decoded)) name = decoded;
  }
  const filename = url ? filenameFromUrl(ref) : filenameFromPath(ref);
  const wheel = filename === undefined ? undefined : parseWheelFilename(filename);
  if (wheel && (name === undefined || normalizeName(name) === normalizeName(wheel.name))) {
    name ??= wheel.name;
    version = wheel.version;
  }
  if (name !== undefined) nonIndex.named = true;
  for (const extra of extras) {
    if (!isValidProjectName(extra))
      throw new SpecifierError(`invalid extra ${JSON.stringify(extra)}`);
  }
  const target: TargetSpec = {
    name: name ?? ref,
    files: [],
    hashes: [],
    pinned: false,
    source,
    url: ref,
    nonIndex,
  };
  if (version !== undefined) target.version = version;
  if (markers !== undefined && markers !== "") {
    checkMarker(markers);
    target.markers = markers;
  }
  if (extras.length > 0) target.extras = extras;
  return target;
}
