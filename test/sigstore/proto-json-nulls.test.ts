/**
 * Protobuf-JSON nulls (proto3 JSON mapping: a null field is the field's
 * default, i.e. absent) in trusted roots, bundles and the transparency-log
 * entries of PEP 740 attestations: read as absent, and nothing else loosened
 * (required fields, wrong types, unknown fields of strict messages and null
 * list elements fail as before).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseBundle } from "../../src/bundle/load.js";
import { PyprovError } from "../../src/errors.js";
import { parseAttestation } from "../../src/pep740/load.js";
import { parseTrustedRoot, type LoadedTrustRoot } from "../../src/sigstore/trust-root.js";
import { casePath, trustedRootPath } from "../support/corpus.js";
import { runCli } from "../support/cli.js";

type Obj = Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), "pyprov-nulls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readObj = (path: string): Obj => JSON.parse(readFileSync(path, "utf8")) as Obj;
const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v, null, 2));
const objs = (v: unknown): Obj[] => v as Obj[];

/** The production root with a null for every optional field it leaves out (as the conformance suite writes them). */
function rootWithNulls(): Obj {
  const root = readObj(trustedRootPath("production"));
  for (const log of [...objs(root.tlogs), ...objs(root.ctlogs)]) {
    const validFor = (log.publicKey as Obj).validFor as Obj;
    validFor.end ??= null;
    log.checkpointKeyId = null;
    log.operator = null;
  }
  for (const ca of [...objs(root.certificateAuthorities), ...objs(root.timestampAuthorities)]) {
    (ca.validFor as Obj).end ??= null;
    ca.operator = null;
  }
  return root;
}

/** What verification uses of a root, comparable. */
function material(root: LoadedTrustRoot): unknown {
  const m = root.material;
  const range = (v: { start: Date; end: Date }) => [v.start.getTime(), v.end.getTime()];
  return {
    tlogs: m.tlogs.map((t) => [t.baseURL, t.logID.toString("hex"), range(t.validFor)]),
    ctlogs: m.ctlogs.map((t) => [t.baseURL, t.logID.toString("hex"), range(t.validFor)]),
    cas: m.certificateAuthorities.map((c) => [c.certChain.length, range(c.validFor)]),
    tsas: m.timestampAuthorities.map((c) => [c.certChain.length, range(c.validFor)]),
    summary: root.summary,
  };
}

function failure(f: () => unknown): PyprovError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PyprovError);
    return e as PyprovError;
  }
  throw new Error("expected a PyprovError");
}

describe("trusted roots: protobuf-JSON nulls", () => {
  it('reads "end": null, "checkpointKeyId": null and "operator": null as absent', () => {
    const plain = parseTrustedRoot(readFileSync(trustedRootPath("production")), "plain.json");
    const nulls = rootWithNulls();
    expect(JSON.stringify(nulls)).toContain('"end":null');
    const loaded = parseTrustedRoot(bytes(nulls), "nulls.json");
    expect(material(loaded)).toEqual(material(plain));
    // A null list reads as an empty one.
    const noCtlogs = { ...readObj(trustedRootPath("production")), ctlogs: null };
    expect(parseTrustedRoot(bytes(noCtlogs), "r.json").material.ctlogs).toEqual([]);
  });

  it("still rejects a null start (C1), a null media type, null list elements and wrong types", () => {
    const a = rootWithNulls();
    ((objs(a.tlogs)[0]!.publicKey as Obj).validFor as Obj).start = null;
    expect(failure(() => parseTrustedRoot(bytes(a), "r.json")).oneLine()).toMatch(
      /tlogs entry https:\/\/rekor\.sigstore\.dev has no validFor\.start/,
    );
    const cases: [Obj, RegExp][] = [
      [{ ...rootWithNulls(), mediaType: null }, /at mediaType: .*received undefined/],
      [{ ...rootWithNulls(), tlogs: [null] }, /at tlogs\[0\]: .*received null/],
      [{ ...rootWithNulls(), tlogs: null }, /lists no transparency logs/],
      [{ ...rootWithNulls(), certificateAuthorities: [{ certChain: null }] }, /certChain/],
    ];
    const b = rootWithNulls();
    objs(b.tlogs)[0]!.baseUrl = 5;
    cases.push([b, /at tlogs\[0\]\.baseUrl: .*expected string/]);
    for (const [root, match] of cases) {
      const err = failure(() => parseTrustedRoot(bytes(root), "r.json"));
      expect(err.code).toBe("TRUST_ROOT_INVALID");
      expect(err.oneLine()).toMatch(match);
    }
  });
});

const BUNDLE_CASE = "sigstore-python-bundle_v3_github-whl";
const BUNDLE = casePath(BUNDLE_CASE, "bundle_v3_github.whl.sigstore");
const IDENTITY =
  "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";

/** The corpus bundle with a null for fields it does not use (the other content, other key materials). */
function bundleWithNulls(): Obj {
  const b = readObj(BUNDLE);
  b.dsseEnvelope = null;
  const vm = b.verificationMaterial as Obj;
  Object.assign(vm, { certificate: null, publicKey: null, timestampVerificationData: null });
  Object.assign(objs(vm.tlogEntries)[0]!, { extra: null });
  return b;
}

describe("bundles: protobuf-JSON nulls", () => {
  it("a bundle with null fields loads as the same bundle and verifies end to end", async () => {
    const plain = parseBundle(readFileSync(BUNDLE), "plain");
    const loaded = parseBundle(bytes(bundleWithNulls()), "nulls");
    expect({ ...loaded, source: "", sha256: "" }).toEqual({ ...plain, source: "", sha256: "" });

    const bundle = join(dir, "nulls.sigstore.json");
    const root = join(dir, "trusted_root.json");
    writeFileSync(bundle, bytes(bundleWithNulls()));
    writeFileSync(root, bytes(rootWithNulls()));
    const args = (b: string, r: string) => [
      "verify-bundle",
      ...["--bundle", b, "--certificate-identity", IDENTITY],
      ...["--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"],
      ...["--trusted-root", r, casePath(BUNDLE_CASE, "bundle_v3_github.whl")],
    ];
    const r = await runCli(args(bundle, root));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((await runCli(args(BUNDLE, trustedRootPath("production")))).code).toBe(0);
  });

  it("still rejects null required fields, null list elements and wrong types", () => {
    const entry = (patch: Obj): Obj => {
      const b = bundleWithNulls();
      const vm = b.verificationMaterial as Obj;
      Object.assign(objs(vm.tlogEntries)[0]!, patch);
      return b;
    };
    const cases: [Obj, RegExp][] = [
      [{ ...bundleWithNulls(), mediaType: null }, /no mediaType/],
      [{ ...bundleWithNulls(), messageSignature: null }, /exactly one of messageSignature/],
      [entry({ canonicalizedBody: null }), /tlogEntries\[0\]\.canonicalizedBody: .*undefined/],
      [entry({ logIndex: true }), /tlogEntries\[0\]\.logIndex/],
      [entry({ kindVersion: { kind: null, version: "0.0.1" } }), /kindVersion\.kind/],
    ];
    const listNull = bundleWithNulls();
    (listNull.verificationMaterial as Obj).tlogEntries = [null];
    cases.push([listNull, /tlogEntries\[0\]: .*received null/]);
    for (const [b, match] of cases) {
      const err = failure(() => parseBundle(bytes(b), "b.json"));
      expect(err.code).toBe("INPUT_MALFORMED");
      expect(err.oneLine()).toMatch(match);
    }
  });
});

const ATTESTATION = casePath(
  "pypi-pypi_attestations-0.0.19-sdist-tsa-staging-rekor-v2",
  "pypi_attestations-0.0.19.tar.gz.publish.attestation.with_rekor2_timestamp",
);

describe("PEP 740 transparency entries: protobuf-JSON nulls", () => {
  const withEntry = (patch: Obj): Obj => {
    const a = readObj(ATTESTATION);
    const vm = a.verification_material as Obj;
    Object.assign(objs(vm.transparency_entries)[0]!, patch);
    return a;
  };

  it("a null field of an entry (or of a message inside it) reads as absent", () => {
    const plain = parseAttestation(readFileSync(ATTESTATION), "plain");
    expect(plain.verification_material.transparency_entries[0]!.inclusionPromise).toBeUndefined();
    const nulls = withEntry({ inclusionPromise: null });
    expect(parseAttestation(bytes(nulls), "nulls")).toEqual(plain);
  });

  it("unknown fields stay refused even when null; the attestation around entries is not protobuf-JSON", () => {
    const cases: [Obj, RegExp][] = [
      [withEntry({ bogus: null }), /unknown field "bogus"/],
      [withEntry({ logIndex: null }), /transparency_entries\[0\]\.logIndex/],
      [withEntry({ logId: { keyId: null } }), /logId\.keyId/],
    ];
    const outer = readObj(ATTESTATION);
    (outer.verification_material as Obj).timestamps = null;
    cases.push([outer, /verification_material\.timestamps/]);
    for (const [a, match] of cases) {
      const err = failure(() => parseAttestation(bytes(a), "a.json"));
      expect(err.code).toBe("INPUT_MALFORMED");
      expect(err.oneLine()).toMatch(match);
    }
  });
});
