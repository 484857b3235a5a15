/**
 * Tampering suite: real corpus attestations, exactly one change each (see T
 * in ../support/tamper.ts), must fail with the right failure code and reason.
 * Every test first proves that its untampered input verifies.
 *
 * Which check fires first follows @sigstore/verify 4.1.3's Verifier.verify
 * order: (1) timestamps (RFC 3161 tokens are verified over the signature
 * bytes; a Rekor v1 integratedTime is only *collected* here), (2) the leaf
 * chain and SCT at those times, (3) per tlog entry: SET, then checkpoint
 * signature + Merkle proof, then the body (signature, then payload hash),
 * (4) the DSSE signature. pyprov's tlog-kind check (C3) runs before all of
 * it; tlog-certificate (C2) and tlog-proof-consistency (C11) after, then the
 * statement and publisher checks. `failure` is the first failing check.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { FailureCode } from "../../src/errors.js";
import { runCli } from "../support/cli.js";
import { trustedRootPath } from "../support/corpus.js";
import {
  ALL_SUBJECTS,
  SUBJECTS,
  T,
  bodyVerifier,
  bumpVersion,
  cliArgs,
  certificateOf,
  decodedBody,
  failedChecks,
  loadAttestationJson,
  loadDoc,
  provenanceOf,
  publisherIn,
  tempDir,
  verifyDoc,
  type Instance,
  type JsonObject,
  type Subject,
  type Tamper,
} from "../support/tamper.js";

const { provenance, attestation, rekorV2, gitlab } = SUBJECTS;
const V1 = ALL_SUBJECTS.filter((s) => s.rekor === "v1");
const NOOP: Tamper = () => {};

const baselines = new Set<string>();
function expectBaseline(s: Subject): void {
  if (baselines.has(s.label)) return; // memoized: the input is re-read unchanged each time
  const r = verifyDoc(s, loadDoc(s));
  expect(failedChecks(r), `${s.label} untampered`).toEqual([]);
  expect(r.verdict).toBe("verified");
  baselines.add(s.label);
}

interface Expected {
  code: FailureCode;
  reason: RegExp;
  /** Failed checks ("id:CODE") after the first; default none. */
  also?: string[];
}

function expectFailure(s: Subject, tamper: Tamper, want: Expected, root?: Instance): void {
  expectBaseline(s);
  const doc = loadDoc(s);
  tamper(doc, s);
  const r = verifyDoc(s, doc, root ? { root } : {});
  expect(r.verdict).toBe("failed");
  expect(r.failure?.code).toBe(want.code);
  expect(r.failure?.message).toMatch(want.reason);
  const first = r.attestations[0]!.checks.find((c) => !c.ok)!;
  expect(failedChecks(r)).toEqual([`${first.id}:${want.code}`, ...(want.also ?? [])]);
}

// Real certificates to swap in. `sameRun`: the SLSA attestation signed 15 s
// earlier in the same release job, so its 10-minute validity covers the
// publish entry's time. `otherCase`: same instance, another case and time.
const sameRun = loadAttestationJson(
  "tob-pypi_attestations-0.0.19-sdist",
  "pypi_attestations-0.0.19.tar.gz.slsa.attestation",
);
const rfc8785 = loadAttestationJson(
  "tob-rfc8785-0.1.2-whl",
  "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
);
const otherCase = (s: Subject): JsonObject =>
  s === rekorV2 ? rfc8785 : s === gitlab ? loadDoc(attestation) : loadDoc(gitlab);
const otherDigest = "0".repeat(64);

const SIG_IN_BODY: Expected = { code: "TLOG_BODY", reason: /tlog entry signature mismatch/ };
const PAYLOAD_HASH: Expected = { code: "TLOG_BODY", reason: /DSSE payload hash mismatch/ };
const SET: Expected = { code: "TLOG_INCLUSION", reason: /signed entry timestamp \(SET\)/ };
const PROOF: Expected = {
  code: "TLOG_INCLUSION",
  reason: /proof does not verify: calculated root/,
};
const CHECKPOINT: Expected = {
  code: "TLOG_INCLUSION",
  reason: /checkpoint does not verify.*: invalid checkpoint signature/,
};
const EXPIRED: Expected = {
  code: "CERTIFICATE_CHAIN",
  reason: /certificate was not valid at the verified signing time/,
};
/** A body change breaks the SET (v1: the SET signs the body) or the leaf hash (v2: no SET). */
const bodyBroken = (s: Subject): Expected => (s.rekor === "v1" ? SET : PROOF);

type Want = Expected | ((s: Subject) => Expected);
const rows: [string, string, Subject, Tamper, Expected][] = [];
function variant(name: string, on: Subject[], tamper: Tamper, want: Want): void {
  for (const s of on) {
    rows.push([name, s.label, s, tamper, typeof want === "function" ? want(s) : want]);
  }
}

// 1. v1: the SET covers the untouched body, and the body's recorded signature
// is compared with the envelope's before the DSSE signature is verified.
// v2: the RFC 3161 token imprints the signature bytes and is checked first.
variant("1 signature byte flipped", ALL_SUBJECTS, T.signature, (s) =>
  s.rekor === "v1" ? SIG_IN_BODY : { code: "TIMESTAMP", reason: /timestamp could not be verified/ },
);
// 2–5. The statement no longer hashes to the logged payload hash (signature
// not reached); the statement checks run as well and catch 3–5 on their own.
variant("2 statement byte changed (still parses)", ALL_SUBJECTS, T.statementByte, PAYLOAD_HASH);
variant("3 subject digest changed", ALL_SUBJECTS, T.subjectDigest, {
  ...PAYLOAD_HASH,
  also: ["subject-digest:SUBJECT_DIGEST"],
});
variant("4 subject name changed", ALL_SUBJECTS, T.subjectName, {
  ...PAYLOAD_HASH,
  also: ["subject-name:SUBJECT_NAME"],
});
variant("5 predicate type changed", ALL_SUBJECTS, T.predicateType, {
  ...PAYLOAD_HASH,
  also: ["statement:PREDICATE_TYPE"],
});
// 6a. Chain, SCT, SET and body pass (the library never compares a dsse 0.0.1
// body with the certificate), so the DSSE signature is what fails; C2 too.
variant(
  "6 certificate ← the same run's SLSA cert",
  [provenance, attestation],
  T.certificate(certificateOf(sameRun)),
  {
    code: "SIGNATURE",
    reason: /^signature does not verify over the statement$/,
    also: ["tlog-certificate:TLOG_CERTIFICATE"],
  },
);
// 6b. Another case's certificate was not valid at this entry's verified time.
variant(
  "6 certificate ← another case's cert",
  ALL_SUBJECTS,
  (d, s) => T.certificate(certificateOf(otherCase(s)))(d, s),
  (s) => ({
    ...EXPIRED,
    also: [
      "tlog-certificate:TLOG_CERTIFICATE",
      ...(s === provenance ? ["publisher:PUBLISHER_MISMATCH"] : []),
    ],
  }),
);
variant("7 logIndex changed", V1, T.logIndex, SET);
variant("8 an inclusion-proof hash changed", ALL_SUBJECTS, T.proofHash, PROOF);
// 9. @sigstore/verify recomputes the root from the checkpoint and never reads
// these two fields; only pyprov's C11 sees them.
variant("9 inclusionProof.rootHash changed alone", ALL_SUBJECTS, T.rootHash, {
  code: "TLOG_PROOF_INCONSISTENT",
  reason: /^inclusion proof root hash differs from the signed checkpoint's root hash$/,
});
variant("9 inclusionProof.treeSize changed alone", ALL_SUBJECTS, T.treeSize, {
  code: "TLOG_PROOF_INCONSISTENT",
  reason: /^inclusion proof tree size (\d+) differs from the signed checkpoint's size \d+$/,
});
variant("10 checkpoint signature byte changed", ALL_SUBJECTS, T.checkpointSignature, CHECKPOINT);
variant("10 checkpoint root line changed", ALL_SUBJECTS, T.checkpointRoot, {
  ...CHECKPOINT,
  also: ["tlog-proof-consistency:TLOG_PROOF_INCONSISTENT"],
});
variant("11 SET changed", V1, T.set, SET);
variant("12 body payloadHash changed", ALL_SUBJECTS, T.bodyPayloadHash, bodyBroken);
variant(
  "12 body verifier certificate changed",
  ALL_SUBJECTS,
  (d, s) =>
    T.bodyVerifier(
      s === rekorV2 ? certificateOf(rfc8785) : bodyVerifier(decodedBody(otherCase(s))),
    )(d, s),
  (s) => ({ ...bodyBroken(s), also: ["tlog-certificate:TLOG_CERTIFICATE"] }),
);
// 14. +1 s stays inside the leaf's validity, so the SET fails; +1 day fails the
// chain first (the leaf is checked at the claimed time before the SET is).
variant("14 integratedTime +1 s", V1, T.integratedTime(1n), SET);
variant("14 integratedTime +1 day", V1, T.integratedTime(86_400n), EXPIRED);
for (const [kind, version] of [
  ["intoto", "0.0.2"],
  ["hashedrekord", "0.0.1"],
] as const) {
  variant(`15 kindVersion → ${kind} ${version}`, ALL_SUBJECTS, T.kindVersion(kind, version), {
    code: "TLOG_KIND",
    reason: new RegExp(`^unsupported transparency log entry kind "${kind} ${version}"`),
  });
}
// An accepted kind that is not the body's: SET and proof pass (neither covers
// kindVersion), the library's body check compares kind/version; C2 fails too.
variant(
  "15 kindVersion → another accepted kind",
  ALL_SUBJECTS,
  (d, s) => T.kindVersion("dsse", s.rekor === "v1" ? "0.0.2" : "0.0.1")(d, s),
  {
    code: "TLOG_BODY",
    reason: /^Rekor entry does not record this signature: kind\/version mismatch/,
    also: ["tlog-certificate:TLOG_BODY"],
  },
);
variant("16 RFC 3161 timestamp byte changed", [rekorV2], T.timestampByte, {
  code: "TIMESTAMP",
  reason: /^no verified signing time: timestamp could not be verified$/,
});
variant("16 timestamps removed", [rekorV2], T.timestampsRemoved, {
  code: "TIMESTAMP",
  reason: /^no verified signing time: expected 1 timestamps, got 0$/,
});
// 18. Only the first entry counts, and later entries never rescue it.
variant("18 a garbage entry before the good one", ALL_SUBJECTS, T.garbageFirst, (s) => ({
  ...bodyBroken(s),
  also: ["tlog-certificate:TLOG_BODY"],
}));

describe("one field of a real attestation tampered with", () => {
  it.each(rows)("%s: %s", (_name, _label, s, tamper, want) => expectFailure(s, tamper, want));

  it("13 the wrong trusted root (production ↔ staging)", () => {
    const chain = {
      code: "CERTIFICATE_CHAIN",
      reason: /not issued by a trusted Fulcio CA/,
    } as const;
    for (const s of V1) expectFailure(s, NOOP, chain, "staging");
    // The RFC 3161 token is checked before the chain, and no production TSA issued it.
    const tsa = { code: "TIMESTAMP", reason: /timestamp could not be verified/ } as const;
    expectFailure(rekorV2, NOOP, tsa, "production");
  });

  // 14 on Rekor v2: there is no SET, so integratedTime is authenticated by
  // nothing (real v2 entries carry "0"); time comes from RFC 3161 only. A
  // forged value must not change the verdict nor be reported as the entry's time.
  it("14 v2: a forged integratedTime is never reported as the entry's time", () => {
    expectBaseline(rekorV2);
    const doc = loadDoc(rekorV2);
    T.integratedTime(1_733_354_041n)(doc, rekorV2);
    const r = verifyDoc(rekorV2, doc);
    expect(r.verdict).toBe("verified");
    expect(r.attestations[0]!.verifiedTimes.map((t) => t.source)).toEqual(["rfc3161"]);
    // BUG (src/sigstore/verifier.ts entry()): reported whenever > 0, SET or not.
    expect(r.attestations[0]!.logEntry?.integratedTime).toBeUndefined();
  });

  it.each(ALL_SUBJECTS)("18 a garbage entry appended is ignored: $label verifies", (s) => {
    expectBaseline(s);
    const doc = loadDoc(s);
    T.garbageAppended(doc, s);
    const r = verifyDoc(s, doc);
    expect(failedChecks(r)).toEqual([]);
    expect(r.verdict).toBe("verified");
  });
});

describe("3–4 the subject checks alone, on untouched attestations", () => {
  it.each(ALL_SUBJECTS)("another file digest → SUBJECT_DIGEST ($label)", (s) => {
    expectBaseline(s);
    const r = verifyDoc(s, loadDoc(s), { sha256: otherDigest });
    expect(r.failure?.code).toBe("SUBJECT_DIGEST");
    expect(r.failure?.message).toMatch(/^subject digest does not match the file/);
    expect(failedChecks(r)).toEqual(["subject-digest:SUBJECT_DIGEST"]);
  });

  it.each(ALL_SUBJECTS)("another file name → SUBJECT_NAME ($label)", (s) => {
    expectBaseline(s);
    const wheel = s.filename.replace(/\.tar\.gz$/, "-py3-none-any.whl");
    for (const filename of [bumpVersion(s.filename), wheel]) {
      const r = verifyDoc(s, loadDoc(s), { filename });
      expect(r.failure?.code).toBe("SUBJECT_NAME");
      expect(r.failure?.message).toContain(`does not match the file "${filename}"`);
      expect(failedChecks(r)).toEqual(["subject-name:SUBJECT_NAME"]);
    }
  });
});

describe("17 the publisher (unsigned index metadata) against the certificate", () => {
  // The GitLab case ships no provenance: wrap its attestation in the one
  // upstream's tests use (GitLabPublisher facutuesca/gitlab-oidc-project).
  const gitlabPublisher = {
    kind: "GitLab",
    repository: "facutuesca/gitlab-oidc-project",
    workflow_filepath: ".gitlab-ci.yml",
    environment: null,
  };
  const load = (s: Subject): JsonObject =>
    s === gitlab ? provenanceOf(loadDoc(gitlab), gitlabPublisher) : loadDoc(provenance);
  it.each([
    ["GitHub", "repository", "trailofbits/pypi-attestationz"],
    ["GitHub", "workflow", "other.yml"],
    ["GitHub", "kind", "ActiveState"],
    ["GitLab", "repository", "facutuesca/other"],
    ["GitLab", "workflow_filepath", "wrong.yml"],
  ] as const)("%s: %s changed → only the publisher check fails", (platform, field, value) => {
    const s = platform === "GitLab" ? gitlab : provenance;
    const good = verifyDoc(s, load(s));
    expect(failedChecks(good)).toEqual([]);
    expect(good.verdict).toBe("verified");
    const doc = load(s);
    publisherIn(doc)[field] = value;
    const r = verifyDoc(s, doc);
    const code = field === "kind" ? "PUBLISHER_KIND" : "PUBLISHER_MISMATCH";
    expect(r.failure?.code).toBe(code);
    expect(r.failure?.message).toMatch(
      field === "kind"
        ? `unknown publisher kind '${value}': pyprov can only check GitHub, GitLab and Google`
        : new RegExp(`^publisher ${field} "${value}" does not match the certificate's`),
    );
    // The cryptography and the statement still verify: only the publisher fails.
    expect(failedChecks(r)).toEqual([`publisher:${code}`]);
  });
});

describe("through the CLI", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  let n = 0;
  const write = (s: Subject, tamper: Tamper): string => {
    const doc = loadDoc(s);
    tamper(doc, s);
    return tmp.write(`${n++}.json`, doc);
  };

  it("the untampered copies verify (exit 0)", async () => {
    for (const s of [provenance, rekorV2]) {
      const r = await runCli(cliArgs(s, write(s, NOOP)));
      expect(r.stdout).toMatch(/^✓ pypi_attestations-0\.0\.19\.tar\.gz/);
      expect(r.code).toBe(0);
    }
  });

  it.each([
    [
      "signature",
      provenance,
      T.signature,
      "Rekor entry does not record this signature: tlog entry signature mismatch",
    ],
    [
      "RFC 3161 timestamp",
      rekorV2,
      T.timestampByte,
      "no verified signing time: timestamp could not be verified",
    ],
    [
      "rootHash",
      provenance,
      T.rootHash,
      "inclusion proof root hash differs from the signed checkpoint's root hash",
    ],
    [
      "publisher kind",
      provenance,
      (d: JsonObject) => void (publisherIn(d).kind = "ActiveState"),
      "unknown publisher kind 'ActiveState': pyprov can only check GitHub, GitLab and Google publishers",
    ],
  ] as const)("%s tampered → exit 1, the failure line says why", async (_n, s, tamper, reason) => {
    const r = await runCli(cliArgs(s, write(s, tamper)));
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^✗ pypi_attestations-0\.0\.19\.tar\.gz/);
    expect(lines[1]).toBe(`    ${reason}`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
  });

  it("--filename/--sha256 with another digest → exit 1, the subject digest reason", async () => {
    const file = write(attestation, NOOP);
    const r = await runCli([
      ...["verify", "--filename", attestation.filename, "--sha256", otherDigest],
      ...["--attestation", file, "--trusted-root", trustedRootPath("production")],
      ...["--format", "lines"],
    ]);
    expect(r.stdout.split("\n")[1]).toMatch(/^ {4}subject digest does not match the file/);
    expect(r.code).toBe(1);
  });

  it("--format json carries the failure code", async () => {
    const file = write(attestation, T.kindVersion("intoto", "0.0.2"));
    const r = await runCli([...cliArgs(attestation, file), "--format", "json"]);
    const doc = JSON.parse(r.stdout) as {
      exitCode: number;
      results: { verdict: string; failure: { code: string; message: string } }[];
    };
    expect(doc.exitCode).toBe(1);
    expect(doc.results[0]!.verdict).toBe("failed");
    expect(doc.results[0]!.failure.code).toBe("TLOG_KIND");
    expect(doc.results[0]!.failure.message).toMatch(/"intoto 0\.0\.2"/);
    expect(r.code).toBe(1);
  });
});
