/**
 * Limits on hostile input, each with a clear one-line error: input size,
 * JSON nesting depth, attestations and log entries per file, targets per
 * run. (Response-size caps of the index client are tested with its fake
 * index: test/pypi/index-client.test.ts and test/pipeline/.)
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_BUNDLE_BYTES, loadBundleFile, parseBundle } from "../../src/bundle/load.js";
import { PyprovError } from "../../src/errors.js";
import { MAX_INPUT_BYTES } from "../../src/inputs/parse-common.js";
import { parsePylock } from "../../src/inputs/pylock.js";
import { parseRequirements } from "../../src/inputs/requirements.js";
import { parseUvLock } from "../../src/inputs/uvlock.js";
import {
  MAX_ATTESTATION_FILE_BYTES,
  loadAttestationFile,
  loadProvenanceFile,
  parseProvenanceOrAttestation,
} from "../../src/pep740/load.js";
import { MAX_TARGETS, verifyDistributions } from "../../src/pipeline.js";
import { parseJsonProjectPage } from "../../src/pypi/simple-api.js";
import { loadTrustedRoot, parseTrustedRoot } from "../../src/sigstore/trust-root.js";
import { MAX_JSON_DEPTH } from "../../src/util/read-input.js";
import { casePath, trustedRootPath } from "../support/corpus.js";
import { Workspace } from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

function pyprovError(f: () => unknown, code: string, match: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PyprovError);
  expect((err as PyprovError).code).toBe(code);
  expect((err as PyprovError).oneLine()).toMatch(match);
}

const deep = Buffer.from(
  `{"a":${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}}`,
);
const deepest = Buffer.from("[".repeat(200_000));

describe("JSON nesting depth", () => {
  const parsers: [string, (raw: Buffer) => unknown][] = [
    ["attestation/provenance", (raw) => parseProvenanceOrAttestation(raw, "f")],
    ["bundle", (raw) => parseBundle(raw, "f")],
    ["trusted root", (raw) => parseTrustedRoot(raw, "f")],
    ["simple API JSON", (raw) => parseJsonProjectPage(raw, "https://pypi.org/simple/p/")],
  ];
  for (const [name, parse] of parsers) {
    it(`${name}: deeper than ${MAX_JSON_DEPTH} levels is refused before parsing`, () => {
      pyprovError(() => parse(deep), "INPUT_MALFORMED", /JSON nested deeper than 64 levels/);
      pyprovError(() => parse(deepest), "INPUT_MALFORMED", /JSON nested deeper than 64 levels/);
    });
  }

  it("TOML lock files: deep nesting is a one-line error", () => {
    const toml = `lock-version = "1.0"\nx = ${"[".repeat(200)}${"]".repeat(200)}\n`;
    pyprovError(() => parsePylock(toml, "pylock.toml"), "INPUT_MALFORMED", /pylock\.toml/);
    pyprovError(
      () => parseUvLock(`version = 1\nx = ${"{a=".repeat(200)}1${"}".repeat(200)}\n`, "uv.lock"),
      "INPUT_MALFORMED",
      /uv\.lock/,
    );
  });
});

describe("input size", () => {
  it("attestation, provenance and bundle files: refused above their cap, unread", () => {
    const big = ws.file("big.attestation", Buffer.alloc(MAX_ATTESTATION_FILE_BYTES + 1, 0x20));
    pyprovError(
      () => loadAttestationFile(big),
      "INPUT_TOO_LARGE",
      /larger than the limit of 8388608 bytes/,
    );
    pyprovError(() => loadProvenanceFile(big), "INPUT_TOO_LARGE", /larger than the limit/);
    const bundle = ws.file("big.sigstore", Buffer.alloc(MAX_BUNDLE_BYTES + 1, 0x20));
    pyprovError(() => loadBundleFile(bundle), "INPUT_TOO_LARGE", /larger than the limit/);
  });

  it("trusted roots: 4 MiB", () => {
    const big = ws.file("root.json", Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    pyprovError(
      () => loadTrustedRoot(big),
      "INPUT_TOO_LARGE",
      /larger than the limit of 4194304 bytes/,
    );
  });

  it("requirements, pylock.toml, uv.lock: 10 MiB of text", () => {
    const text = "#".repeat(MAX_INPUT_BYTES + 1);
    const never = (): string => {
      throw new Error("no include expected");
    };
    pyprovError(
      () => parseRequirements(text, "r.txt", never),
      "INPUT_TOO_LARGE",
      /larger than the limit of 10485760 bytes/,
    );
    pyprovError(() => parsePylock(text, "pylock.toml"), "INPUT_TOO_LARGE", /larger than the limit/);
    pyprovError(() => parseUvLock(text, "uv.lock"), "INPUT_TOO_LARGE", /larger than the limit/);
  });
});

describe("counts", () => {
  const att = JSON.parse(
    readFileSync(
      casePath(
        "tob-pypi_attestations-0.0.19-sdist",
        "pypi_attestations-0.0.19.tar.gz.publish.attestation",
      ),
      "utf8",
    ),
  ) as { verification_material: { transparency_entries: unknown[] } };

  it("attestations per provenance bundle and bundles per provenance: at most 64", () => {
    const prov = (n: number, groups = 1) => ({
      version: 1,
      attestation_bundles: Array.from({ length: groups }, () => ({
        publisher: { kind: "GitHub", repository: "a/b", workflow: "w.yml" },
        attestations: Array.from({ length: n }, () => att),
      })),
    });
    const parse = (v: unknown) =>
      parseProvenanceOrAttestation(Buffer.from(JSON.stringify(v)), "p.provenance");
    expect(() => parse(prov(64))).not.toThrow();
    pyprovError(() => parse(prov(65)), "INPUT_MALFORMED", /attestation_bundles\[0\]\.attestations/);
    pyprovError(() => parse(prov(1, 65)), "INPUT_MALFORMED", /attestation_bundles/);
  });

  it("log entries per attestation: at most 32", () => {
    const entries = att.verification_material.transparency_entries;
    const many = {
      ...att,
      verification_material: {
        ...att.verification_material,
        transparency_entries: Array(33).fill(entries[0]),
      },
    };
    pyprovError(
      () => parseProvenanceOrAttestation(Buffer.from(JSON.stringify(many)), "a.attestation"),
      "INPUT_MALFORMED",
      /transparency_entries/,
    );
  });

  it(`targets per run: at most ${MAX_TARGETS}`, async () => {
    const target = { kind: "digest" as const, filename: "pkg-1.0.tar.gz", sha256: "ab".repeat(32) };
    const run = verifyDistributions({
      targets: Array.from({ length: MAX_TARGETS + 1 }, () => target),
      trustRoot: loadTrustedRoot(trustedRootPath("production")),
      offline: true,
      noCache: true,
    });
    await expect(run).rejects.toThrow(PyprovError);
    await expect(run).rejects.toThrow(/the limit is 10000 per run/);
  });
});
