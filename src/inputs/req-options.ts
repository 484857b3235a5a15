/**
 * The option part of a requirements-file line, split and parsed the way pip
 * does it (`shlex.split`, then optparse): long options with `=value` or a
 * separate value, unique prefixes of long options, short options with an
 * attached or separate value. Pure functions, no I/O.
 */

export type OptionId =
  | "requirement"
  | "constraint"
  | "editable"
  | "index-url"
  | "extra-index-url"
  | "no-index"
  | "find-links"
  | "no-binary"
  | "only-binary"
  | "prefer-binary"
  | "require-hashes"
  | "pre"
  | "trusted-host"
  | "use-feature"
  | "hash"
  | "global-option"
  | "config-settings";

interface OptionDef {
  id: OptionId;
  long: string;
  short?: string;
  takesValue: boolean;
  /** Allowed after a requirement on the same line. */
  perRequirement?: boolean;
}

const OPTIONS: readonly OptionDef[] = [
  { id: "requirement", long: "--requirement", short: "-r", takesValue: true },
  { id: "constraint", long: "--constraint", short: "-c", takesValue: true },
  { id: "editable", long: "--editable", short: "-e", takesValue: true },
  { id: "index-url", long: "--index-url", short: "-i", takesValue: true },
  { id: "extra-index-url", long: "--extra-index-url", takesValue: true },
  { id: "no-index", long: "--no-index", takesValue: false },
  { id: "find-links", long: "--find-links", short: "-f", takesValue: true },
  { id: "no-binary", long: "--no-binary", takesValue: true },
  { id: "only-binary", long: "--only-binary", takesValue: true },
  { id: "prefer-binary", long: "--prefer-binary", takesValue: false },
  { id: "require-hashes", long: "--require-hashes", takesValue: false },
  { id: "pre", long: "--pre", takesValue: false },
  { id: "trusted-host", long: "--trusted-host", takesValue: true },
  { id: "use-feature", long: "--use-feature", takesValue: true },
  { id: "hash", long: "--hash", takesValue: true, perRequirement: true },
  { id: "global-option", long: "--global-option", takesValue: true, perRequirement: true },
  {
    id: "config-settings",
    long: "--config-settings",
    short: "-C",
    takesValue: true,
    perRequirement: true,
  },
];

export interface ParsedOption {
  id: OptionId;
  /** As written in the file (`--index-url`, `-i`). */
  spelled: string;
  value: string;
  perRequirement: boolean;
}

/** Thrown (and caught by the callers) for a malformed option. */
export class OptionError extends Error {}

/**
 * pip's `break_args_options`: tokens (split on single spaces) up to the first
 * one starting with "-" are the requirement, the rest are options.
 */
export function breakArgsOptions(line: string): { args: string; options: string } {
  const tokens = line.split(" ");
  const first = tokens.findIndex((t) => t.startsWith("-"));
  if (first === -1) return { args: line, options: "" };
  return { args: tokens.slice(0, first).join(" "), options: tokens.slice(first).join(" ") };
}

/** POSIX shell-like splitting (as Python's `shlex.split`): quotes and backslash escapes. */
export function shlexSplit(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new OptionError("no closing quotation");
      cur += text.slice(i + 1, end);
      i = end;
      inToken = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && (text[j + 1] === '"' || text[j + 1] === "\\")) j++;
        cur += text.charAt(j);
      }
      if (j >= text.length) throw new OptionError("no closing quotation");
      i = j;
      inToken = true;
    } else if (c === "\\") {
      if (i + 1 >= text.length) throw new OptionError("no escaped character");
      cur += text.charAt(++i);
      inToken = true;
    } else if (/\s/.test(c)) {
      if (inToken) out.push(cur);
      cur = "";
      inToken = false;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

function findLong(name: string): OptionDef {
  const exact = OPTIONS.find((o) => o.long === name);
  if (exact) return exact;
  const prefixed = OPTIONS.filter((o) => o.long.startsWith(name));
  const [only] = prefixed;
  if (prefixed.length === 1 && only !== undefined) return only;
  if (prefixed.length > 1) {
    throw new OptionError(`ambiguous option ${name} (${prefixed.map((o) => o.long).join(", ")})`);
  }
  throw new OptionError(`unknown option ${name}`);
}

/** Parse the options part of a line. Throws {@link OptionError}. */
export function parseOptions(text: string): ParsedOption[] {
  const tokens = shlexSplit(text);
  const out: ParsedOption[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    let def: OptionDef;
    let spelled: string;
    let value: string | undefined;
    if (token.startsWith("--") && token.length > 2) {
      const eq = token.indexOf("=");
      spelled = eq === -1 ? token : token.slice(0, eq);
      def = findLong(spelled);
      if (eq !== -1) {
        if (!def.takesValue) throw new OptionError(`option ${def.long} takes no value`);
        value = token.slice(eq + 1);
      }
    } else if (token.startsWith("-") && token.length > 1 && token !== "--") {
      spelled = token.slice(0, 2);
      const found = OPTIONS.find((o) => o.short === spelled);
      if (!found) throw new OptionError(`unknown option ${spelled}`);
      def = found;
      if (token.length > 2) {
        if (!def.takesValue) throw new OptionError(`option ${spelled} takes no value`);
        value = token.slice(2);
      }
    } else {
      throw new OptionError(`unexpected ${JSON.stringify(token)} after the options`);
    }
    if (def.takesValue && value === undefined) {
      value = tokens[++i];
      if (value === undefined) throw new OptionError(`option ${spelled} needs a value`);
    }
    out.push({
      id: def.id,
      spelled,
      value: value ?? "",
      perRequirement: def.perRequirement === true,
    });
  }
  return out;
}
