/**
 * Inputs that are missing, too large or not files, unusable trusted roots,
 * and usage errors: exit 2 with one line on stderr naming the file (where
 * there is one) and the problem, never a stack trace or a ✓.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { DIST_NAME, Workspace, expectInputError, sparseFile } from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

const dist = ws.attested();

/** Write `content` (a string as is, anything else as JSON) to a fresh file. */
function input(name: string, content: unknown): string {
  return ws.file(name, typeof content === "string" ? content : JSON.stringify(content));
}

describe("files that are not there, too large, or not files (in-process)", () => {
  const huge = sparseFile(join(ws.subdir(), "huge.json"));

  it.each([
    ["--provenance", ["--provenance", huge]],
    ["--attestation", ["--attestation", huge]],
  ])("a 100 MB %s is refused before it is read", async (_flag, args) => {
    const t0 = performance.now();
    const r = await ws.verify([dist.path, ...args]);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expectInputError(r, [huge, "104857600 bytes, larger than the limit"]);
  });

  it("a 100 MB sidecar and a 100 MB trusted root are refused", async () => {
    const d = ws.dist();
    const sidecar = sparseFile(`${d.path}.provenance`);
    expectInputError(await ws.verify([d.path]), [sidecar, "larger than the limit"]);
    expectInputError(await ws.verify([dist.path], huge), [huge, "larger than the limit"]);
  });

  it("a directory instead of a file", async () => {
    const dir = ws.subdir();
    expectInputError(await ws.verify([dist.path, "--provenance", dir]), [dir, "is a directory"]);
    expectInputError(await ws.verify([dist.path, "--attestation", dir]), [dir, "is a directory"]);
    expectInputError(await ws.verify([dir]), [dir, "not a regular file"]);
    expectInputError(await ws.verify([dist.path], dir), [dir, "trusted root"]);
  });

  it("files that do not exist", async () => {
    const gone = join(ws.subdir(), DIST_NAME);
    expectInputError(await ws.verify([gone]), [gone, "no such file"]);
    expectInputError(await ws.verify([dist.path, "--provenance", `${gone}.provenance`]), [
      `${gone}.provenance`,
      "no such file",
    ]);
    expectInputError(await ws.verify([dist.path, "--attestation", `${gone}.x`]), [
      `${gone}.x`,
      "no such file",
    ]);
    const r = await ws.verify([dist.path], `${gone}.root.json`);
    expectInputError(r, [`${gone}.root.json`, "trusted root not available"]);
    expect(r.stdout).toBe("");
  });

  const root = ws.ss.trustedRoot();
  it.each([
    ["not JSON", "{", "not valid JSON"],
    ["empty", "", "not valid JSON"],
    ["an empty object", {}, "at mediaType"],
    [
      "a wrong media type",
      { ...root, mediaType: "application/json" },
      "not a Sigstore trusted root media type",
    ],
    ["tlogs not an array", { ...root, tlogs: 5 }, "at tlogs"],
    [
      "no certificate authorities",
      { ...root, certificateAuthorities: [] },
      "lists no certificate authorities",
    ],
    [
      "a start that is not a time",
      {
        ...root,
        tlogs: [
          {
            ...root.tlogs[0],
            publicKey: { ...(root.tlogs[0]!["publicKey"] as object), validFor: { start: "soon" } },
          },
        ],
      },
      "validFor.start: not an RFC 3339 time",
    ],
    [
      "a certificate that is not base64 DER",
      {
        ...root,
        certificateAuthorities: [
          { ...root.certificateAuthorities[0], certChain: { certificates: [{ rawBytes: "!!!" }] } },
        ],
      },
      "trusted root rejected",
    ],
    ["deeply nested", "[".repeat(100_000), "nested deeper"],
  ])("a malformed trusted root: %s", async (_name, content, problem) => {
    const file = input("root.json", content);
    const r = await ws.verify([dist.path], file);
    expectInputError(r, [file, problem]);
    expect(r.stdout).toBe("");
  });
});

describe("usage errors (in-process)", () => {
  it.each([
    ["an unknown option", ["verify", "DIST", "--frobnicate"], "unknown option '--frobnicate'", 1],
    [
      "a mistyped option (commander's suggestion is folded into the one line)",
      ["verify", "DIST", "--repositry", "x"],
      "(Did you mean --repository?)",
      1,
    ],
    [
      "--format xml",
      ["verify", "DIST", "--format", "xml"],
      "'xml' is invalid. Allowed choices are human, json",
      1,
    ],
    [
      "an option without its argument",
      ["verify", "DIST", "--provenance"],
      "'--provenance <FILE>' argument missing",
      1,
    ],
    [
      "--filename without --sha256",
      ["verify", "--filename", DIST_NAME, "--provenance", "P"],
      "--filename and --sha256 go together",
      1,
    ],
    [
      "--sha256 without --filename",
      ["verify", "--sha256", "ab".repeat(32)],
      "--filename and --sha256 go together",
      1,
    ],
    [
      "--sha256 not hex",
      ["verify", "--filename", DIST_NAME, "--sha256", "zz".repeat(32), "--provenance", "P"],
      "--sha256 must be 64 hexadecimal digits",
      1,
    ],
    [
      "--sha256 too short",
      ["verify", "--filename", DIST_NAME, "--sha256", "abc", "--provenance", "P"],
      "--sha256 must be 64 hexadecimal digits",
      1,
    ],
    [
      "--filename not a distribution",
      ["verify", "--filename", "pkg.exe", "--sha256", "ab".repeat(32), "--provenance", "P"],
      "--filename: invalid distribution filename",
      1,
    ],
    [
      "--filename without provenance",
      ["verify", "--filename", DIST_NAME, "--sha256", "ab".repeat(32)],
      "need --provenance or --attestation",
      1,
    ],
    [
      "--provenance with two DISTs",
      ["verify", "DIST", "DIST", "--provenance", "P"],
      "apply to a single local distribution",
      1,
    ],
    [
      "--attestation with two DISTs",
      ["verify", "DIST", "DIST", "--attestation", "P"],
      "apply to a single local distribution",
      1,
    ],
    [
      "DIST and --filename",
      ["verify", "DIST", "--filename", DIST_NAME, "--sha256", "ab".repeat(32)],
      "not both",
      1,
    ],
    ["nothing to verify", ["verify"], "nothing to verify", 1],
    [
      "an empty expectation",
      ["verify", "DIST", "--repository", ""],
      "--repository must not be empty",
      1,
    ],
    ["an unknown command", ["frobnicate"], "unknown command 'frobnicate'", 1],
  ] as const)("%s", async (_name, args, problem, lines) => {
    const r = await runCli(args.map((a) => (a === "DIST" ? dist.path : a)));
    expectInputError(r, [problem], lines);
    expect(r.stdout).toBe("");
  });
});
