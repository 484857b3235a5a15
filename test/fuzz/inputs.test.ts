/**
 * The lock-file and requirements parsers on hostile text: arbitrary strings,
 * text built from each format's own tokens, and mutations of the real
 * fixtures (byte flips, truncations, insertions, duplicated lines). Each call
 * returns or throws a PyprovError within a time bound.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { parsePylock } from "../../src/inputs/pylock.js";
import { parseRequirements } from "../../src/inputs/requirements.js";
import { parseUvLock } from "../../src/inputs/uvlock.js";
import { REPO_ROOT } from "../support/corpus.js";
import {
  PROPERTY_TIMEOUT_MS,
  params,
  anyBytes,
  anyText,
  mutate,
  mutation,
  returnsOrPyprovError,
  tokenText,
} from "./mutations.js";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "inputs");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Includes resolve to small fixed texts (one of them including itself), else fail like a missing file. */
function readInclude(path: string): string {
  const base = path.split("/").pop() ?? "";
  if (base === "base.txt") return "attrs==24.2.0\n-r base.txt\n";
  if (base === "c.txt") return "django<5\n";
  throw new PyprovError("INPUT_UNREADABLE", "cannot read file: no such file", { source: path });
}

const REQ_TOKENS = [
  "\n",
  " ",
  "\\\n",
  "#",
  " #",
  "-r ",
  "-c ",
  "--requirement=",
  "--constraint ",
  "-e ",
  "--editable=",
  "-i ",
  "--index-url ",
  "--extra-index-url=",
  "--hash=sha256:",
  "--hash ",
  "--prefer-binary",
  "-f ",
  "pkg",
  "Pkg_Name.x",
  "[",
  "]",
  ",",
  "==",
  "===",
  ">=",
  "~=",
  "!=",
  "<",
  ".*",
  "1.0",
  "1.0.post1",
  "v2!3",
  ";",
  " ; ",
  "python_version",
  '>= "3.9"',
  " and ",
  " or ",
  "(",
  ")",
  "extra == 'x'",
  "@",
  " @ ",
  "https://",
  "git+https://h/r.git@v1#egg=p",
  "file:",
  "./",
  "../",
  "${HOME}",
  "${",
  "sha256:" + "ab".repeat(32),
  "base.txt",
  "c.txt",
  "\t",
  "\r\n",
  "\u2028",
  "\u0000",
];
const TOML_TOKENS = [
  "\n",
  " = ",
  '"',
  "'",
  '"""',
  "[",
  "]",
  "[[",
  "]]",
  "{",
  "}",
  ",",
  ".",
  "#",
  "lock-version",
  '"1.0"',
  "version",
  "1",
  "revision",
  "packages",
  "package",
  "name",
  '"attrs"',
  "sdist",
  "wheels",
  "url",
  "path",
  "hashes",
  "sha256",
  '"' + "ab".repeat(32) + '"',
  "size",
  "-1",
  "upload-time",
  "2025-01-25T11:30:12Z",
  "index",
  "source",
  "registry",
  "editable",
  "git",
  "directory",
  "attestation-identities",
  "kind",
  '"GitHub"',
  "marker",
  "requires-python",
  "manifest",
  "members",
  "dependencies",
  "true",
  "1e999",
  "0x10",
  "inf",
  "nan",
  "\\u0000",
  "\\",
  "\u0000",
];

const formats: {
  name: string;
  parse: (text: string) => unknown;
  seeds: string[];
  tokens: string[];
}[] = [
  {
    name: "requirements",
    parse: (text) =>
      parseRequirements(text, "requirements.txt", readInclude, { env: { HOME: "/home/u" } }),
    seeds: files(join(FIXTURES, "requirements")).map((p) => readFileSync(p, "utf8")),
    tokens: REQ_TOKENS,
  },
  {
    name: "pylock.toml",
    parse: (text) => parsePylock(text, "pylock.toml"),
    seeds: files(join(FIXTURES, "pylock")).map((p) => readFileSync(p, "utf8")),
    tokens: TOML_TOKENS,
  },
  {
    name: "uv.lock",
    parse: (text) => parseUvLock(text, "uv.lock"),
    seeds: files(join(FIXTURES, "uvlock")).map((p) => readFileSync(p, "utf8")),
    tokens: TOML_TOKENS,
  },
];

describe.each(formats)("$name", ({ name, parse, seeds, tokens }) => {
  it("the seeds parse", () => {
    expect(seeds.length).toBeGreaterThan(0);
    for (const s of seeds) returnsOrPyprovError(() => parse(s), name);
  });

  it(
    "arbitrary text and the format's own tokens: a result or a PyprovError",
    () => {
      const text = fc.oneof(
        anyText,
        anyBytes.map((b) => b.toString("latin1")),
        tokenText(tokens),
      );
      fc.assert(
        fc.property(text, (t) => {
          returnsOrPyprovError(() => parse(t), name);
        }),
        params(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "mutations of real files: a result or a PyprovError",
    () => {
      fc.assert(
        fc.property(
          fc.nat(seeds.length - 1),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          (i, ms) => {
            const raw = ms.reduce<Buffer>((b, m) => mutate(b, m), Buffer.from(seeds[i]!, "utf8"));
            returnsOrPyprovError(() => parse(raw.toString("utf8")), name);
          },
        ),
        params(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
