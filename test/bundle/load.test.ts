/**
 * Loading bundles: every corpus media type, and one-line INPUT_MALFORMED /
 * INPUT_TOO_LARGE errors for anything else (never another exception).
 */
import { afterAll, describe, expect, it } from "vitest";
import { parseArtifactArgument } from "../../src/bundle/artifact.js";
import { MAX_BUNDLE_BYTES, loadBundleFile, parseBundle } from "../../src/bundle/load.js";
import { PyprovError } from "../../src/errors.js";
import { Workspace } from "../support/synthetic.js";
import { corpusBundleCases, readJson, type Json } from "./helpers.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

function rejects(value: unknown, match: RegExp, code = "INPUT_MALFORMED"): void {
  const raw = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));
  let err: unknown;
  try {
    parseBundle(raw, "b.json");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PyprovError);
  expect((err as PyprovError).code).toBe(code);
  expect((err as PyprovError).oneLine()).toMatch(match);
  expect((err as PyprovError).oneLine()).not.toContain("\n");
}

const v3 = (): { [key: string]: Json } =>
  readJson(
    corpusBundleCases().find((c) =>
      c.bundlePath.endsWith("rfc8785-0.1.2-py3-none-any.whl.sigstore"),
    )!.bundlePath,
  );

describe("loading bundles", () => {
  it("reads every corpus bundle", () => {
    const seen = corpusBundleCases().map((c) => {
      const b = loadBundleFile(c.bundlePath);
      return `${b.version} ${b.content} ${b.key.type} ${b.entries.map((e) => `${e.kindVersion.kind} ${e.kindVersion.version}`).join()}`;
    });
    expect(seen.sort()).toEqual([
      "0.1 messageSignature certificate hashedrekord 0.0.1",
      "0.2 messageSignature certificate hashedrekord 0.0.1",
      "0.3 dsseEnvelope certificate dsse 0.0.1",
      "0.3 dsseEnvelope certificate dsse 0.0.1",
      "0.3 messageSignature certificate hashedrekord 0.0.2",
    ]);
  });

  it("reads the legacy v0.3 media type as v0.3", () => {
    const legacy = { ...v3(), mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.3" };
    const b = parseBundle(Buffer.from(JSON.stringify(legacy)), "legacy.sigstore");
    expect(b).toMatchObject({ version: "0.3", content: "dsseEnvelope" });
  });

  it("rejects unknown media types and non-bundles with a clear reason", () => {
    rejects(
      { ...v3(), mediaType: "application/vnd.dev.sigstore.bundle.v0.4+json" },
      /unsupported bundle media type/,
    );
    rejects(
      { ...v3(), mediaType: "application/json" },
      /unsupported bundle media type "application\/json"/,
    );
    rejects([], /expected a JSON object/);
    rejects({ verificationMaterial: {} }, /no mediaType/);
    rejects(Buffer.from("{"), /not valid JSON/);
    rejects(Buffer.from("[".repeat(100) + "]".repeat(100)), /nested deeper than 64/);
    rejects(Buffer.from([0xff, 0xfe]), /not valid UTF-8/);
  });

  it("requires exactly one content and one key material", () => {
    const b = v3();
    rejects(
      { ...b, messageSignature: { signature: "AAAA" } },
      /exactly one of messageSignature and dsseEnvelope/,
    );
    const { dsseEnvelope: _d, ...noContent } = b;
    rejects(noContent, /exactly one of messageSignature and dsseEnvelope/);
    const vm = b.verificationMaterial as { [key: string]: Json };
    rejects(
      { ...b, verificationMaterial: { ...vm, publicKey: { hint: "k" } } },
      /exactly one of certificate/,
    );
  });

  it("checks numbers, base64 and counts before the library sees them", () => {
    const b = v3();
    const vm = b.verificationMaterial as { tlogEntries: { [key: string]: Json }[] };
    const entry = vm.tlogEntries[0]!;
    const withEntry = (e: { [key: string]: Json }) => ({
      ...b,
      verificationMaterial: { ...vm, tlogEntries: [e] },
    });
    rejects(
      withEntry({ ...entry, logIndex: "-1" }),
      /logIndex: must be a non-negative decimal integer/,
    );
    rejects(
      withEntry({ ...entry, canonicalizedBody: "not base64!" }),
      /canonicalizedBody: not valid base64/,
    );
    rejects(withEntry({ ...entry, kindVersion: null }), /kindVersion/);
    rejects(
      { ...b, verificationMaterial: { ...vm, tlogEntries: Array(33).fill(entry) } },
      /tlogEntries/,
    );
    rejects(
      { ...b, verificationMaterial: { ...vm, certificate: { rawBytes: "AAAA" } } },
      /certificate or timestamp cannot be parsed/,
    );
  });

  it("v0.2+ bundles need inclusion proofs with checkpoints (@sigstore/bundle's rule)", () => {
    const b = v3();
    const vm = b.verificationMaterial as { tlogEntries: { [key: string]: Json }[] };
    const { inclusionProof: _p, ...entry } = vm.tlogEntries[0]!;
    rejects({ ...b, verificationMaterial: { ...vm, tlogEntries: [entry] } }, /inclusionProof/);
  });

  it("caps the file size", () => {
    const path = ws.file("big.sigstore", Buffer.alloc(MAX_BUNDLE_BYTES + 1, 0x20));
    expect(() => loadBundleFile(path)).toThrow(
      expect.objectContaining({ code: "INPUT_TOO_LARGE" }),
    );
  });
});

describe("artifact argument", () => {
  it("sha256:HEX is a digest (any case), anything else a path", () => {
    expect(parseArtifactArgument(`sha256:${"AB".repeat(32)}`)).toEqual({
      kind: "digest",
      sha256: "ab".repeat(32),
      display: `sha256:${"ab".repeat(32)}`,
    });
    expect(parseArtifactArgument("./sha256:x")).toMatchObject({ kind: "file" });
    expect(() => parseArtifactArgument("sha256:abc")).toThrow(
      expect.objectContaining({ code: "USAGE" }),
    );
  });
});
