/**
 * Verification on mutated real data: PEP 740 attestations and provenance
 * through verifyDistributions, and Sigstore bundles through BundleVerifier
 * and `pyprov verify-bundle`. Whatever the mutation, the outcome is a failed
 * verdict or a classified error (never an uncaught exception, never a hang),
 * and "verified" only when the mutation left every signed byte as it was
 * (e.g. it touched an unsigned field: a bundle's mediaType, a DSSE keyid, a
 * chain's intermediate certificate, the top-level index of a Rekor v2 entry,
 * a publisher's environment).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RFC3161Timestamp } from "@sigstore/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseArtifactArgument, resolveArtifact } from "../../src/bundle/artifact.js";
import { parseBundle, type LoadedBundle } from "../../src/bundle/load.js";
import { buildPolicy } from "../../src/bundle/policy.js";
import { BundleVerifier } from "../../src/bundle/verify.js";
import { PyprovError } from "../../src/errors.js";
import { parseAttestation, parseProvenance } from "../../src/pep740/load.js";
import type { Attestation, TransparencyLogEntry } from "../../src/pep740/models.js";
import { verifyDistributions } from "../../src/pipeline.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { corpusBundleCases } from "../bundle/helpers.js";
import { runCli } from "../support/cli.js";
import { casePath, getCase, trustedRootPath } from "../support/corpus.js";
import {
  PROPERTY_TIMEOUT_MS,
  RUNS,
  mutate,
  mutation,
  params,
  resolvesOrPyprovError,
} from "./mutations.js";

const dir = mkdtempSync(join(tmpdir(), "pyprov-fuzz-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const roots = {
  production: loadTrustedRoot(trustedRootPath("production")),
  staging: loadTrustedRoot(trustedRootPath("staging")),
};

const hex = (b: Uint8Array | undefined): string | null =>
  b ? Buffer.from(b).toString("hex") : null;

/**
 * What an RFC 3161 timestamp signs: its TSTInfo. @sigstore/core walks the
 * TimeStampResp by position, not by tag, so the unsigned wrapper around it
 * (e.g. the outer SEQUENCE tag) can change and the timestamp still verify.
 */
function timestampPrint(der: Uint8Array): string | null {
  try {
    return hex(RFC3161Timestamp.parse(Buffer.from(der)).tstInfo.raw);
  } catch {
    return `unparsable ${hex(der)}`;
  }
}

/** Only what is signed: the top-level index and time count only when a SET covers them. */
function entryPrint(e: TransparencyLogEntry): unknown {
  const set = e.inclusionPromise !== undefined;
  const p = e.inclusionProof;
  return {
    kv: `${e.kindVersion.kind} ${e.kindVersion.version}`,
    body: hex(e.canonicalizedBody),
    logId: hex(e.logId.keyId),
    set: hex(e.inclusionPromise?.signedEntryTimestamp),
    logIndex: set ? e.logIndex.toString() : null,
    integratedTime: set ? (e.integratedTime ?? 0n).toString() : null,
    proof: p
      ? [
          p.logIndex.toString(),
          hex(p.rootHash),
          p.treeSize.toString(),
          p.hashes.map(hex),
          p.checkpoint.envelope,
        ]
      : null,
  };
}

function attestationPrint(a: Attestation): unknown {
  const vm = a.verification_material;
  return [
    hex(vm.certificate),
    entryPrint(vm.transparency_entries[0]!),
    (vm.timestamps ?? []).map(timestampPrint),
    hex(a.envelope.statement),
    hex(a.envelope.signature),
  ];
}

/** The signed content of an attestation or provenance file (publisher: the fields checked against the certificate). */
function pep740Print(raw: Buffer, kind: "attestation" | "provenance"): string {
  if (kind === "attestation") return JSON.stringify(attestationPrint(parseAttestation(raw, "x")));
  const p = parseProvenance(raw, "x");
  return JSON.stringify(
    p.groups.map((g) => {
      const pub = g.publisher as Record<string, unknown> | undefined;
      const { environment: _e, claims: _c, ...checked } = pub ?? {};
      return [checked, g.attestations.map((a) => attestationPrint(a.attestation))];
    }),
  );
}

function bundlePrint(b: LoadedBundle): string {
  const c = b.bundle.content;
  const content =
    c.$case === "messageSignature"
      ? [
          c.messageSignature.messageDigest?.algorithm,
          hex(c.messageSignature.messageDigest?.digest),
          hex(c.messageSignature.signature),
        ]
      : [
          hex(c.dsseEnvelope.payload),
          c.dsseEnvelope.payloadType,
          c.dsseEnvelope.signatures.map((s) => hex(s.sig)),
        ];
  const ts = b.bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
  const key = b.key.type === "certificate" ? hex(b.key.der) : null;
  return JSON.stringify([
    content,
    key,
    b.entries.map(entryPrint),
    ts.map((t) => timestampPrint(t.signedTimestamp)),
  ]);
}

const pep740Subjects = (
  [
    [
      "tob-pypi_attestations-0.0.19-sdist",
      "pypi_attestations-0.0.19.tar.gz.publish.attestation",
      "attestation",
    ],
    [
      "pypi-pypi_attestations-0.0.19-sdist-tsa-staging-rekor-v2",
      "pypi_attestations-0.0.19.tar.gz.publish.attestation.with_rekor2_timestamp",
      "attestation",
    ],
    [
      "tob-gitlab_oidc_project-0.0.3-sdist",
      "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
      "attestation",
    ],
    [
      "tob-pypi_attestations-0.0.19-sdist-pypi-provenance",
      "pypi_attestations-0.0.19.tar.gz.provenance",
      "provenance",
    ],
  ] as const
).map(([caseName, file, kind]) => {
  const c = getCase(caseName);
  const raw = readFileSync(casePath(caseName, file));
  return {
    label: file,
    kind,
    raw,
    print: pep740Print(raw, kind),
    instance: c.sigstore_instance === "staging" ? ("staging" as const) : ("production" as const),
    target: { kind: "digest" as const, filename: c.artifact_filename!, sha256: c.artifact_sha256! },
  };
});

async function verifyPep740(s: (typeof pep740Subjects)[number], raw: Buffer): Promise<string> {
  const path = join(dir, `${s.label}.${s.kind === "provenance" ? "provenance" : "attestation"}`);
  writeFileSync(path, raw);
  const out = await resolvesOrPyprovError(
    () =>
      verifyDistributions({
        targets: [s.target],
        ...(s.kind === "provenance" ? { provenance: path } : { attestations: [path] }),
        trustRoot: roots[s.instance],
        offline: true,
        noCache: true,
      }),
    s.label,
  );
  if (out instanceof PyprovError) return "error";
  expect(out.results).toHaveLength(1);
  return out.results[0]!.verdict;
}

describe("PEP 740: verifyDistributions on mutated attestations and provenance", () => {
  it("the originals verify", async () => {
    for (const s of pep740Subjects) expect(await verifyPep740(s, s.raw), s.label).toBe("verified");
  });

  it(
    "a mutation yields failed or error, and verified only when no signed byte changed",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(pep740Subjects.length - 1),
          fc.array(mutation, { minLength: 1, maxLength: 2 }),
          async (i, ms) => {
            const s = pep740Subjects[i]!;
            const raw = ms.reduce<Buffer>((b, m) => mutate(b, m), s.raw);
            const verdict = await verifyPep740(s, raw);
            if (verdict === "verified") expect(pep740Print(raw, s.kind), s.label).toBe(s.print);
            else expect(["failed", "error"]).toContain(verdict);
          },
        ),
        params(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

const bundleSubjects = corpusBundleCases().map((c) => {
  const raw = readFileSync(c.bundlePath);
  return { ...c, raw, print: bundlePrint(parseBundle(raw, c.bundlePath)) };
});

describe("Sigstore bundles: verify-bundle on mutated corpus bundles", () => {
  it(
    "BundleVerifier: not verified, or a PyprovError, unless no signed byte changed",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(bundleSubjects.length - 1),
          fc.array(mutation, { minLength: 1, maxLength: 2 }),
          async (i, ms) => {
            const s = bundleSubjects[i]!;
            const raw = ms.reduce<Buffer>((b, m) => mutate(b, m), s.raw);
            const policy = buildPolicy({
              certificateIdentity: s.identity,
              certificateOidcIssuer: s.issuer,
            });
            const out = await resolvesOrPyprovError(async () => {
              const loaded = parseBundle(raw, "mutated.sigstore");
              const artifact = await resolveArtifact(parseArtifactArgument(s.artifactArg), {
                wantBytes: loaded.content === "messageSignature",
              });
              return {
                loaded,
                result: new BundleVerifier(roots[s.instance], policy).verify(loaded, artifact),
              };
            }, s.bundlePath);
            if (out instanceof PyprovError || !out.result.verified) return;
            expect(bundlePrint(out.loaded), s.bundlePath).toBe(s.print);
          },
        ),
        params(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "the CLI: exit 1 or 2 with one line and no stack trace, exit 0 only when no signed byte changed",
    async () => {
      const path = join(dir, "mutated.sigstore");
      await fc.assert(
        fc.asyncProperty(fc.nat(bundleSubjects.length - 1), mutation, async (i, m) => {
          const s = bundleSubjects[i]!;
          const raw = mutate(s.raw, m);
          writeFileSync(path, raw);
          const args = [
            "verify-bundle",
            "--bundle",
            path,
            "--certificate-identity",
            s.identity,
            "--certificate-oidc-issuer",
            s.issuer,
          ];
          if (s.trustedRoot) args.push("--trusted-root", s.trustedRoot);
          const r = await runCli([...args, s.artifactArg], {
            PYPROV_CACHE_DIR: dir,
            PYPROV_NOW: "2025-12-01T00:00:00Z",
          });
          expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
          if (r.code === 0) expect(bundlePrint(parseBundle(raw, "x"))).toBe(s.print);
          else if (r.code === 1) expect(r.stdout).toMatch(/^✗ [^\n]+\n$/);
          else {
            expect(r.code).toBe(2);
            expect(r.stderr).toMatch(/^pyprov: [^\n]+\n$/);
          }
        }),
        params(Math.ceil(RUNS / 2)),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe("regressions found by fuzzing", () => {
  /** The gitlab attestation with its leaf's notBefore month set to 21 (still DER, an impossible date). */
  function impossibleDate(raw: Buffer, field: string): Buffer {
    const json = JSON.parse(raw.toString("utf8")) as Record<string, Record<string, unknown>>;
    const holder =
      field === "certificate" ? json.verification_material! : json.verificationMaterial!;
    const get = (): string =>
      field === "certificate"
        ? (holder.certificate as string)
        : (holder.certificate as { rawBytes: string }).rawBytes;
    const der = Buffer.from(get(), "base64");
    const at = der.indexOf(Buffer.from("\x17\r24", "latin1"));
    expect(at).toBeGreaterThan(0);
    der[at + 4] = "2".charCodeAt(0); // YYMMDD: month 1x -> 2x
    const b64 = der.toString("base64");
    if (field === "certificate") holder.certificate = b64;
    else holder.certificate = { rawBytes: b64 };
    return Buffer.from(JSON.stringify(json));
  }

  it("a certificate with an impossible validity date gives a verdict, not an exception (PEP 740)", async () => {
    const s = pep740Subjects.find((x) => x.label.startsWith("gitlab_oidc_project"))!;
    // Fails while src/verify/attestation.ts summarizeCertificate calls
    // toISOString() on the Invalid Date that decodeCertificate passes on.
    expect(["failed", "error"]).toContain(
      await verifyPep740(s, impossibleDate(s.raw, "certificate")),
    );
  });

  it("the same certificate in a bundle: exit 1, no internal error (verify-bundle)", async () => {
    const s = bundleSubjects.find((x) =>
      x.bundlePath.endsWith("rfc8785-0.1.2-py3-none-any.whl.sigstore"),
    )!;
    const path = join(dir, "impossible-date.sigstore");
    writeFileSync(path, impossibleDate(s.raw, "bundle"));
    const r = await runCli(
      [
        "verify-bundle",
        "--bundle",
        path,
        "--certificate-identity",
        s.identity,
        "--certificate-oidc-issuer",
        s.issuer,
        "--trusted-root",
        s.trustedRoot!,
        s.artifactArg,
      ],
      { PYPROV_CACHE_DIR: dir },
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect([1, 2]).toContain(r.code);
  });
});
