/**
 * Malformed attestation and provenance files never yield a verdict, a stack
 * trace or a ✓: exit 2 and one line on stderr naming the file and the
 * problem. A handful go through the real binary (bin/pyprov.js, built by
 * `npm test`), the rest in-process. Missing, huge and non-files, trusted
 * roots and usage errors: malformed-input-usage.test.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnCli } from "../support/cli.js";
import { casePath } from "../support/corpus.js";
import {
  DIST_NAME,
  Workspace,
  expectInputError,
  hasControlChars,
  noStackTrace,
  sparseFile,
} from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

const BUNDLE = casePath("sigstore-python-bundle_v3_github-whl", "bundle_v3_github.whl.sigstore");

const dist = ws.attested();
const good = ws.attest(dist);
const vm = good.verification_material;

/** Write `content` (a string as is, anything else as JSON) to a fresh file. */
function input(name: string, content: unknown): string {
  return ws.file(
    name,
    typeof content === "string" || Buffer.isBuffer(content) ? content : JSON.stringify(content),
  );
}

const provenanceOf = (att: unknown) => ({
  version: 1,
  attestation_bundles: [
    {
      publisher: { kind: "GitHub", repository: "acme/pkg", workflow: "release.yml" },
      attestations: [att],
    },
  ],
});

describe("malformed attestation and provenance files (in-process)", () => {
  const halfCert = Buffer.from(vm.certificate, "base64").subarray(0, 300).toString("base64");
  const cases: [string, unknown, string][] = [
    ["not JSON", "{ not json", "not valid JSON"],
    ["empty file", "", "not valid JSON"],
    ["only whitespace", " \n\t ", "not valid JSON"],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "not valid UTF-8"],
    ["a JSON array", [], "is a JSON array, not a PEP 740 attestation"],
    ["JSON null", "null", "is null, not a PEP 740 attestation"],
    ["a JSON string", '"hello"', "not a PEP 740 attestation"],
    ["an object without the fields", { hello: 1 }, "not a PEP 740 attestation"],
    ['"version": 2', { ...good, version: 2 }, "at version"],
    ['"version": "1"', { ...good, version: "1" }, "at version"],
    [
      '"certificate": 5',
      { ...good, verification_material: { ...vm, certificate: 5 } },
      "at verification_material.certificate: Invalid input: expected string",
    ],
    [
      "bad base64 certificate",
      { ...good, verification_material: { ...vm, certificate: "MII*%%" } },
      "at verification_material.certificate: not valid base64",
    ],
    [
      "URL-safe base64 certificate",
      {
        ...good,
        verification_material: {
          ...vm,
          certificate: vm.certificate.replace(/\+/g, "-").replace(/\//g, "_"),
        },
      },
      "at verification_material.certificate: not valid base64",
    ],
    [
      "bad base64 statement",
      { ...good, envelope: { ...good.envelope, statement: "eyJ f" } },
      "at envelope.statement: not valid base64",
    ],
    [
      "bad base64 signature",
      { ...good, envelope: { ...good.envelope, signature: "@@@@" } },
      "at envelope.signature: not valid base64",
    ],
    ["an unknown top-level field", { ...good, extra: true }, 'unknown field "extra"'],
    [
      "an unknown envelope field",
      { ...good, envelope: { ...good.envelope, payloadType: "x" } },
      'at envelope: unknown field "payloadType"',
    ],
    [
      "an unknown tlog-entry field",
      {
        ...good,
        verification_material: {
          ...vm,
          transparency_entries: [{ ...vm.transparency_entries[0], extra: 1 }],
        },
      },
      'at verification_material.transparency_entries[0]: unknown field "extra"',
    ],
    [
      "no transparency entries",
      { ...good, verification_material: { ...vm, transparency_entries: [] } },
      "at verification_material.transparency_entries",
    ],
    [
      "a negative log index",
      {
        ...good,
        verification_material: {
          ...vm,
          transparency_entries: [{ ...vm.transparency_entries[0], logIndex: "-1" }],
        },
      },
      "transparency_entries[0].logIndex",
    ],
    [
      "deeply nested JSON (100,000 levels)",
      "[".repeat(100_000) + "]".repeat(100_000),
      "nested deeper",
    ],
    [
      "a Sigstore bundle",
      { mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", verificationMaterial: {} },
      "is a Sigstore bundle, not a PEP 740 attestation",
    ],
  ];

  it.each(cases)("--attestation: %s", async (_name, content, problem) => {
    const file = input("bad.publish.attestation", content);
    expectInputError(await ws.verify([dist.path, "--attestation", file]), [file, problem]);
  });

  it.each(cases)("--provenance holding an attestation: %s", async (_name, content, problem) => {
    const file = input("bad.provenance", content);
    const r = await ws.verify([dist.path, "--provenance", file]);
    expectInputError(r, [file, problem.replace("a PEP 740 attestation", "")]);
  });

  it.each([
    ['"version": 2', { ...provenanceOf(good), version: 2 }, "invalid provenance at version"],
    ["an unknown field", { ...provenanceOf(good), extra: 1 }, 'unknown field "extra"'],
    [
      "an unknown bundle field",
      {
        version: 1,
        attestation_bundles: [{ ...provenanceOf(good).attestation_bundles[0], extra: 1 }],
      },
      'at attestation_bundles[0]: unknown field "extra"',
    ],
    [
      "a GitHub publisher without workflow",
      {
        version: 1,
        attestation_bundles: [
          { publisher: { kind: "GitHub", repository: "acme/pkg" }, attestations: [good] },
        ],
      },
      "attestation_bundles[0].publisher.workflow",
    ],
    [
      "a publisher without kind",
      { version: 1, attestation_bundles: [{ publisher: {}, attestations: [good] }] },
      "attestation_bundles[0].publisher.kind",
    ],
    [
      "bad base64 in a bundled certificate",
      provenanceOf({ ...good, verification_material: { ...vm, certificate: "!" } }),
      "attestation_bundles[0].attestations[0].verification_material.certificate: not valid base64",
    ],
    ["no bundles", { version: 1, attestation_bundles: [] }, "at attestation_bundles"],
  ])("provenance sidecar: %s", async (_name, content, problem) => {
    const d = ws.dist();
    ws.writeJson(`${d.path}.provenance`, content);
    expectInputError(await ws.verify([d.path]), [`${d.path}.provenance`, problem]);
  });

  it("a truncated DER certificate (valid base64) fails closed: a failed verdict, never a pass", async () => {
    const att = { ...good, verification_material: { ...vm, certificate: halfCert } };
    const file = input("trunc.publish.attestation", att);
    const json = await ws.verifyJson([dist.path, "--attestation", file]);
    expect(json.code).toBe(1);
    const r = json.doc.results[0]!;
    expect(r.verdict).toBe("failed");
    expect(r.failure?.code).toBe("VERIFICATION");
    expect(r.failure?.message).toContain("cannot be read as a Sigstore bundle");
    const failed = r.attestations[0]!.checks.filter((c) => !c.ok).map((c) => c.id);
    expect(failed).toEqual(expect.arrayContaining(["sigstore", "certificate-usage"]));
    expect(JSON.stringify(r.attestations[0])).toContain("certificate cannot be decoded");
    expect(r.identity).toBeUndefined();
    const human = await ws.verify([dist.path, "--attestation", file]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(new RegExp(`^✗ ${DIST_NAME.replace(/\./g, "\\.")}\n`));
    expect(human.stdout).not.toContain("✓");
    expect(noStackTrace(human.stdout + human.stderr)).toBe(true);
  });

  it("an empty certificate fails closed too", async () => {
    const file = input("empty-cert.json", {
      ...good,
      verification_material: { ...vm, certificate: "" },
    });
    const r = await ws.verify([dist.path, "--attestation", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("✓");
  });
});

describe("hostile names and contents stay on one line, without terminal escapes", () => {
  it("control characters from a file's content are not echoed raw", async () => {
    const file = input("esc.json", "\x1b]0;owned\x07\x1b[2J");
    const r = await ws.verify([dist.path, "--attestation", file]);
    expectInputError(r, [file, "not valid JSON"]);
    expect(hasControlChars(r.stderr), JSON.stringify(r.stderr)).toBe(false);
    expect(hasControlChars(r.stdout), JSON.stringify(r.stdout)).toBe(false);
  });

  it("a file name with a newline is still one line", async () => {
    const dir = ws.subdir();
    const path = join(dir, "acme_pkg-1.0.0-py3-none-any\n.whl");
    expectInputError(await ws.verify([path]), ["no such file"]);
  });

  it("a file name with an escape sequence is not echoed raw", async () => {
    const dir = ws.subdir();
    mkdirSync(join(dir, "x"));
    const path = join(dir, "x", "acme_pkg-1.0.0-py3-none-any\x1b[31m.whl");
    writeFileSync(path, "x");
    writeFileSync(`${path}.provenance`, "nope");
    const r = await ws.verify([path]);
    expectInputError(r, ["not valid JSON"]);
    expect(r.stderr + r.stdout).not.toContain("\x1b");
  });
});

describe("through the real binary", () => {
  it("a provenance file that is not JSON", () => {
    const file = input("p.provenance", "not json at all");
    expectInputError(
      spawnCli(["verify", dist.path, "--provenance", file, "--trusted-root", ws.root]),
      [file, "not valid JSON"],
    );
  });

  it("a 100 MB attestation, refused quickly", () => {
    const path = sparseFile(join(ws.subdir(), "big.publish.attestation"));
    const t0 = performance.now();
    const r = spawnCli(["verify", dist.path, "--attestation", path, "--trusted-root", ws.root]);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expectInputError(r, [path, "larger than the limit"]);
  });

  it("JSON nested 100,000 levels deep", () => {
    const file = input("deep.json", "[".repeat(100_000) + "]".repeat(100_000));
    expectInputError(
      spawnCli(["verify", dist.path, "--attestation", file, "--trusted-root", ws.root]),
      [file, "nested deeper than 64 levels"],
    );
  });

  it("an unknown field in an attestation", () => {
    const file = input("x.json", { ...good, surprise: 1 });
    expectInputError(
      spawnCli(["verify", dist.path, "--attestation", file, "--trusted-root", ws.root]),
      [file, 'unknown field "surprise"'],
    );
  });

  it("a nonexistent --trusted-root, in both formats", () => {
    const gone = join(ws.dir, "no-such-root.json");
    for (const format of ["human", "json"]) {
      const r = spawnCli(["verify", dist.path, "--trusted-root", gone, "--format", format]);
      expectInputError(r, [gone]);
      expect(r.stdout).toBe("");
    }
  });

  it("a Sigstore bundle given as --attestation", () => {
    expectInputError(
      spawnCli(["verify", dist.path, "--attestation", BUNDLE, "--trusted-root", ws.root]),
      [BUNDLE, "is a Sigstore bundle, not a PEP 740 attestation"],
    );
  });

  it("a usage error", () => {
    const r = spawnCli(["verify", dist.path, "--format", "xml"]);
    expectInputError(r, ["--format"]);
    expect(r.stdout).toBe("");
  });
});
