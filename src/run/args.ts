/**
 * The command-line half of `pyprov run`'s bypass scan (run/bypass.ts): which
 * commands are pip or uv, and which of their arguments name another source
 * of files or a requirements file to read. pip's options are matched as
 * optparse matches them (unique prefixes of long options, short-option
 * clusters, attached values); uv's as clap does (full names only). For
 * `uv run`, `uv tool run` and `uvx`, only the arguments before the command
 * they run are uv's. Pure.
 */
import { basename } from "node:path";

/** One way around the proxy, and where it is written. */
export interface Bypass {
  /** `requirements.txt:3`, or `the command line`. */
  where: string;
  /** What it is, e.g. `--extra-index-url`, `a direct URL requirement (pkg @ https://...)`. */
  what: string;
}
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

export interface CommandFinding {
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
