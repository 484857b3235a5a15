/**
 * pyprov's own certificate checks (src/sigstore/certificates.ts) against
 * @sigstore/verify's own functions, which it does not export: they are
 * reached here, in the tests only, through their files in node_modules, so
 * that every answer is compared with the installed library's. On the real
 * corpus (every leaf, the production and staging CA chains) and on the test
 * Sigstore's faults, each function gives the same result or the same error.
 */
import { X509Certificate } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, type TrustMaterial } from "@sigstore/verify";
import { verifyCertificateChain } from "@sigstore/verify/dist/key/certificate.js";
import { verifySCTs } from "@sigstore/verify/dist/key/sct.js";
import { bundleFromJSON } from "@sigstore/bundle";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadProvenanceFile } from "../../src/pep740/load.js";
import { attestationToBundle } from "../../src/pep740/bundle.js";
import { CertificateVerifier } from "../../src/sigstore/certificates.js";
import { collectVerifiedTimes } from "../../src/sigstore/verifier.js";
import { casePath, loadManifest, trustedRootPath } from "../support/corpus.js";
import { realCertificateDers, trustedChainDers } from "../support/real-certificates.js";
import { TestSigstore, attestationToBundleJSON, generateKey } from "../support/sigstore/index.js";
import type { AttestOptions, KeyPair } from "../support/sigstore/index.js";
import {
  authorityKeyIdExt,
  basicConstraintsExt,
  issueCertificate,
  keyUsageExt,
  randomSerial,
  subjectKeyIdExt,
} from "../support/sigstore/x509.js";
import type { Extension, Name } from "../support/sigstore/x509.js";

type Instance = "production" | "staging";

function materialFor(instance: Instance): TrustMaterial {
  return toTrustMaterial(
    TrustedRoot.fromJSON(JSON.parse(readFileSync(trustedRootPath(instance), "utf8"))),
  );
}

/** What a call returned, or what it threw, in comparable form. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
function outcome(fn: () => unknown, show: (v: unknown) => unknown = (v) => v): Outcome {
  try {
    return { ok: true, value: show(fn()) };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}
function describeError(err: unknown): unknown {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: unknown };
  return {
    name: e.name,
    code: e.code,
    message: e.message,
    cause: e.cause === undefined ? undefined : describeError(e.cause),
  };
}
const ders = (path: unknown): string[] =>
  (path as X509Certificate[]).map((c) => c.root.toDER().toString("hex"));
const hex = (ids: unknown): string[] => (ids as Buffer[]).map((b) => b.toString("hex"));

/** Every certificate-signed entity of the real corpus, with the instance that signed it. */
function corpusEntities() {
  const out: { label: string; instance: Instance; leaf: X509Certificate; times: Date[] }[] = [];
  for (const c of loadManifest()) {
    const instance = c.sigstore_instance as Instance;
    for (const f of c.files) {
      const entities = [];
      if (["attestation", "provenance", "slsa-attestation"].includes(f.kind)) {
        for (const g of loadProvenanceFile(casePath(c.case, f.file)).groups) {
          for (const { attestation } of g.attestations) {
            entities.push(toSignedEntity(attestationToBundle(attestation)));
          }
        }
      } else if (f.kind === "sigstore-bundle") {
        const json = JSON.parse(readFileSync(casePath(c.case, f.file), "utf8")) as unknown;
        entities.push(toSignedEntity(bundleFromJSON(json), Buffer.alloc(0)));
      }
      for (const e of entities) {
        if (e.key.$case !== "certificate") continue;
        const times = collectVerifiedTimes(e).map((t) => t.time);
        out.push({ label: `${c.case}/${f.file}`, instance, leaf: e.key.certificate, times });
      }
    }
  }
  return out;
}

describe("CertificateVerifier.der / equals / issued on real certificates", () => {
  const all = realCertificateDers();
  const verifier = new CertificateVerifier(materialFor("production").certificateAuthorities, []);

  it("der() is toDER(), and equals() is the library's equals(), for every pair", () => {
    const a = all.map((d) => X509Certificate.parse(Buffer.from(d)));
    const b = all.map((d) => X509Certificate.parse(Buffer.from(d)));
    let unequal = 0;
    for (let i = 0; i < a.length; i++) {
      expect(verifier.der(a[i]!).equals(a[i]!.root.toDER())).toBe(true);
      for (let j = 0; j < b.length; j++) {
        const expected = a[i]!.equals(b[j]!);
        expect(verifier.equals(a[i]!, b[j]!), `${i} vs ${j}`).toBe(expected);
        if (!expected) unequal++;
      }
    }
    expect(unequal).toBeGreaterThan(a.length * 10); // not trivially equal
  });

  it("issued(cert, issuer) is the library's cert.verify(issuer), for every pair, twice", () => {
    const material = materialFor("production");
    const trusted = material.certificateAuthorities.flatMap((ca) => ca.certChain);
    const own = new CertificateVerifier(material.certificateAuthorities, []);
    const others = all.map((d) => X509Certificate.parse(Buffer.from(d)));
    const certs = [...trusted, ...others];
    const expected = certs.map((cert) => [undefined, ...certs].map((i) => cert.verify(i)));
    for (let round = 0; round < 2; round++) {
      const ours = certs.map((cert) => [undefined, ...certs].map((i) => own.issued(cert, i)));
      expect(ours).toStrictEqual(expected);
    }
    expect(expected.flat().filter(Boolean).length).toBeGreaterThan(10);
  });

  it("a tampered signature is refused, also after the genuine pair was checked (and memoised)", () => {
    const material = materialFor("production");
    const own = new CertificateVerifier(material.certificateAuthorities, []);
    const [intermediate, root] = material.certificateAuthorities.at(-1)!.certChain;
    expect(own.issued(intermediate!, root)).toBe(true);
    expect(own.issued(intermediate!, root)).toBe(true);
    const tampered = Buffer.from(intermediate!.root.toDER());
    tampered[tampered.length - 5]! ^= 0x01;
    const bad = X509Certificate.parse(tampered);
    expect(bad.verify(root)).toBe(false);
    expect(own.issued(bad, root)).toBe(false);
    expect(own.issued(root!, intermediate)).toBe(false);
  });

  it("a certificate edited after a check is checked again (only trusted pairs are memoised)", () => {
    const material = materialFor("production");
    const own = new CertificateVerifier(material.certificateAuthorities, []);
    const [intermediate] = material.certificateAuthorities.at(-1)!.certChain;
    const leaves = corpusEntities()
      .map((e) => X509Certificate.parse(Buffer.from(e.leaf.root.toDER())))
      .filter((c) => c.verify(intermediate));
    expect(leaves.length).toBeGreaterThan(3);
    for (const leaf of leaves) {
      expect(own.issued(leaf, intermediate)).toBe(true);
      const sig = leaf.root.subs[2]!.value;
      sig[sig.length - 1]! ^= 0x01;
      expect(leaf.verify(intermediate)).toBe(false);
      expect(own.issued(leaf, intermediate)).toBe(false);
    }
  });

  it("checks the trusted CA chains of both instances", () => {
    expect(trustedChainDers("production").length).toBeGreaterThan(2);
    expect(trustedChainDers("staging").length).toBeGreaterThan(1);
  });
});

describe("CertificateVerifier.chain and checkScts on the real corpus", () => {
  const entities = corpusEntities();
  const materials = { production: materialFor("production"), staging: materialFor("staging") };
  const verifiers = {
    production: new CertificateVerifier(
      materials.production.certificateAuthorities,
      materials.production.ctlogs,
    ),
    staging: new CertificateVerifier(
      materials.staging.certificateAuthorities,
      materials.staging.ctlogs,
    ),
  };

  it("has real leaves with verified times", () => {
    expect(entities.length).toBeGreaterThan(12);
    expect(entities.every((e) => e.times.length > 0)).toBe(true);
  });

  it("chain() gives the library's path or error at each verified time, and at wrong times", () => {
    let paths = 0;
    let errors = 0;
    for (const e of entities) {
      const cas = materials[e.instance].certificateAuthorities;
      const own = verifiers[e.instance];
      const times = [
        ...e.times,
        new Date(e.leaf.notAfter.getTime() + 1000), // expired
        new Date(e.leaf.notBefore.getTime() - 1000), // not yet valid
        new Date("2000-01-01T00:00:00Z"), // before every CA
      ];
      for (const t of times) {
        const theirs = outcome(() => verifyCertificateChain(t, e.leaf, cas), ders);
        const ours = outcome(() => own.chain(e.leaf, t), ders);
        expect(ours, `${e.label} at ${t.toISOString()}`).toStrictEqual(theirs);
        if (theirs.ok) paths++;
        else errors++;
      }
      // And across instances: a production leaf against the staging root, and back.
      const other = e.instance === "production" ? "staging" : "production";
      const t = e.times[0]!;
      expect(outcome(() => verifiers[other].chain(e.leaf, t), ders)).toStrictEqual(
        outcome(
          () => verifyCertificateChain(t, e.leaf, materials[other].certificateAuthorities),
          ders,
        ),
      );
    }
    expect(paths).toBeGreaterThanOrEqual(entities.length);
    expect(errors).toBeGreaterThanOrEqual(entities.length * 3);
  });

  it("checkScts() gives the library's log IDs or error", () => {
    let checked = 0;
    for (const e of entities) {
      const m = materials[e.instance];
      const path = verifyCertificateChain(e.times[0]!, e.leaf, m.certificateAuthorities);
      const theirs = outcome(() => {
        const scts = verifySCTs(path[0]!, path[1]!, m.ctlogs);
        if (scts.length < 1) throw new Error(`expected 1 SCTs, got ${scts.length}`);
        return scts;
      }, hex);
      const ours = outcome(() => verifiers[e.instance].checkScts(path), hex);
      expect(ours.ok, e.label).toBe(theirs.ok);
      if (ours.ok) expect(ours).toStrictEqual(theirs);
      // Against the other instance's CT logs every SCT fails, in both.
      const other = e.instance === "production" ? materials.staging : materials.production;
      const otherOwn = new CertificateVerifier([], other.ctlogs);
      expect(outcome(() => otherOwn.checkScts(path))).toStrictEqual(
        outcome(() => verifySCTs(path[0]!, path[1]!, other.ctlogs)),
      );
      checked++;
    }
    expect(checked).toBe(entities.length);
  });
});

describe("CertificateVerifier on the test Sigstore's faults", () => {
  const ss = TestSigstore.shared();
  const material = toTrustMaterial(TrustedRoot.fromJSON(ss.trustedRoot()));
  const withForeign = toTrustMaterial(
    TrustedRoot.fromJSON(ss.trustedRoot({ alsoTrustForeign: ["fulcio", "ctlog"] })),
  );
  const cases: [string, AttestOptions][] = [
    ["genuine (Rekor v1)", {}],
    ["genuine (Rekor v2, TSA)", { rekor: "v2-dsse" }],
    ["expired leaf", { faults: { leafValidity: "expired" } }],
    ["not-yet-valid leaf", { faults: { leafValidity: "not-yet-valid" } }],
    ["leaf is a CA", { faults: { leafCa: true } }],
    ["leaf without KeyUsage", { faults: { leafKeyUsage: "omit" } }],
    ["leaf from an untrusted CA", { faults: { untrustedCa: true } }],
    ["no SCT", { faults: { sct: "none" } }],
    ["SCT signed by a foreign key", { faults: { sct: "foreign-key" } }],
  ];
  for (const [label, o] of cases) {
    it(`${label}: chain() and checkScts() answer as the library does`, () => {
      const att = ss.attest(o);
      const entity = toSignedEntity(bundleFromJSON(attestationToBundleJSON(att)));
      if (entity.key.$case !== "certificate") throw new Error("expected a certificate");
      const leaf = entity.key.certificate;
      const times = collectVerifiedTimes(entity).map((t) => t.time);
      expect(times.length).toBeGreaterThan(0);
      for (const m of [material, withForeign]) {
        const own = new CertificateVerifier(m.certificateAuthorities, m.ctlogs);
        for (const t of times) {
          const theirs = outcome(() => verifyCertificateChain(t, leaf, m.certificateAuthorities));
          expect(outcome(() => own.chain(leaf, t), ders)).toStrictEqual(
            outcome(() => verifyCertificateChain(t, leaf, m.certificateAuthorities), ders),
          );
          if (!theirs.ok) continue;
          const path = theirs.value as X509Certificate[];
          expect(outcome(() => own.checkScts(path), hex)).toStrictEqual(
            outcome(() => {
              const scts = verifySCTs(path[0]!, path[1]!, m.ctlogs);
              if (scts.length < 1) {
                throw Object.assign(new Error(`expected 1 SCTs, got ${scts.length}`), {
                  name: "VerificationError",
                  code: "CERTIFICATE_ERROR",
                });
              }
              return scts;
            }, hex),
          );
        }
      }
    });
  }
});

describe("CertificateVerifier on hand-made chains (CA flags, path length)", () => {
  const NOT_BEFORE = new Date("2024-01-01T00:00:00Z");
  const NOT_AFTER = new Date("2030-01-01T00:00:00Z");
  const AT = new Date("2025-06-01T00:00:00Z");
  interface Made {
    der: Buffer<ArrayBuffer>;
    key: KeyPair;
    name: Name;
  }
  const make = (name: Name, issuer: Made | undefined, extensions: Extension[]): Made => {
    const key = generateKey("P-256");
    const signer = issuer ?? { key, name };
    const der = issueCertificate(
      {
        serial: randomSerial(),
        issuer: signer.name,
        subject: name,
        notBefore: NOT_BEFORE,
        notAfter: NOT_AFTER,
        spki: key.spki,
        extensions: [...extensions, subjectKeyIdExt(key.spki), authorityKeyIdExt(signer.key.spki)],
      },
      signer.key,
    );
    return { der, key, name };
  };
  const ca = (pathLen?: number): Extension[] => [
    keyUsageExt([5, 6]),
    basicConstraintsExt(true, pathLen),
  ];
  const leafExt: Extension[] = [keyUsageExt([0]), basicConstraintsExt(false)];
  const authority = (chain: Made[]) => ({
    certChain: chain.map((c) => X509Certificate.parse(Buffer.from(c.der))),
    validFor: { start: new Date("2020-01-01T00:00:00Z"), end: new Date("2099-01-01T00:00:00Z") },
  });
  const compareChains = (chain: Made[], leaf: Made) => {
    const cas = [authority(chain)];
    const cert = X509Certificate.parse(Buffer.from(leaf.der));
    const theirs = outcome(() => verifyCertificateChain(AT, cert, cas), ders);
    const ours = outcome(() => new CertificateVerifier(cas, []).chain(cert, AT), ders);
    expect(ours).toStrictEqual(theirs);
    return theirs;
  };
  const causeOf = (o: Outcome): unknown =>
    o.ok ? undefined : (o.error as { cause?: { message?: unknown } }).cause?.message;

  it("a well-formed three-level chain verifies in both", () => {
    const root = make({ commonName: "root" }, undefined, ca(1));
    const int = make({ commonName: "int" }, root, ca(0));
    const leaf = make({ commonName: "leaf" }, int, leafExt);
    expect(compareChains([int, root], leaf).ok).toBe(true);
  });

  it("an intermediate that is not a CA is refused by both", () => {
    const root = make({ commonName: "root" }, undefined, ca(1));
    const int = make({ commonName: "int" }, root, [
      keyUsageExt([5, 6]),
      basicConstraintsExt(false),
    ]);
    const leaf = make({ commonName: "leaf" }, int, leafExt);
    const r = compareChains([int, root], leaf);
    expect(causeOf(r)).toBe("intermediate certificate is not a CA");
  });

  it("an exceeded path length constraint is refused by both", () => {
    const root = make({ commonName: "root" }, undefined, ca());
    const int1 = make({ commonName: "int1" }, root, ca(0));
    const int2 = make({ commonName: "int2" }, int1, ca());
    const leaf = make({ commonName: "leaf" }, int2, leafExt);
    const r = compareChains([int2, int1, root], leaf);
    expect(causeOf(r)).toBe("path length constraint exceeded");
  });

  it("a leaf whose issuer is not in the trust material is refused by both", () => {
    const root = make({ commonName: "root" }, undefined, ca(1));
    const int = make({ commonName: "int" }, root, ca(0));
    const other = make({ commonName: "int" }, root, ca(0));
    const leaf = make({ commonName: "leaf" }, other, leafExt);
    const r = compareChains([int, root], leaf);
    expect(causeOf(r)).toBe("no valid certificate path found");
  });
});
