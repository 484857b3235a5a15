/**
 * Verification workers (dist/verify-worker.js, built by `npm test` before the
 * suite runs) reach exactly the verdicts the calling thread reaches, for
 * passing, failing, missing and malformed provenance.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyDistributions, type VerifyRun } from "../../src/pipeline.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { AttestationCryptoVerifier } from "../../src/sigstore/verifier.js";
import {
  verifyProvenanceBytes,
  type ProvenanceBytesJob,
} from "../../src/verify/provenance-bytes.js";
import type { TargetReport } from "../../src/verify/types.js";
import { VerifierPool, WORKER_SCRIPT } from "../../src/verify/workers.js";
import { SyntheticIndex, requirementsText } from "../support/synthetic-index.js";

const si = new SyntheticIndex({
  projects: {
    good: [{ version: "1.0.0", files: [{ kind: "wheel" }, { kind: "sdist" }] }],
    bad: [{ version: "1.0.0", files: [{ kind: "wheel", provenance: "wrong-digest" }] }],
    none: [{ version: "1.0.0", files: [{ kind: "wheel", provenance: "none" }] }],
    junk: [{ version: "1.0.0", files: [{ kind: "wheel" }] }],
  },
});

beforeAll(async () => {
  await si.start();
  // Valid JSON, not a provenance object: a per-file error, from a worker too.
  si.setProvenance(si.release("junk", "1.0.0")[0]!, Buffer.from('{"version": 1}'));
});
afterAll(async () => {
  await si.close();
});

function summary(run: VerifyRun): string[] {
  return run.results.map((r) =>
    [
      r.target.filename,
      r.verdict,
      r.failure?.code ?? r.error?.code ?? "",
      r.slsa?.level ?? "",
    ].join(" "),
  );
}

describe("verification workers", () => {
  it("are built", () => {
    expect(existsSync(WORKER_SCRIPT)).toBe(true);
  });

  it("give the same verdicts as the calling thread", async () => {
    const reqs = si.write(
      "requirements.txt",
      requirementsText(
        ["good", "bad", "none", "junk"].map((name) => ({
          name,
          version: "1.0.0",
          hashes: si.release(name, "1.0.0").map((f) => f.sha256),
        })),
      ).text,
    );
    const run = (workers: number) =>
      verifyDistributions({
        requirements: [reqs],
        trustedRoot: si.root,
        noCache: true,
        workers,
        index: { indexUrl: si.indexUrl },
      });
    const inline = await run(0);
    const pooled = await run(2);
    expect(summary(pooled)).toEqual(summary(inline));
    expect(pooled.results.map((r) => r.verdict)).toEqual([
      "verified",
      "verified",
      "failed",
      "missing",
      "error",
    ]);
    expect(pooled.results[2]!.failure?.code).toBe("SUBJECT_DIGEST");
    expect(pooled.results[4]!.error?.message).toContain(
      "is a JSON object without the expected fields, not a PEP 740 provenance object",
    );
    // Reports from workers are whole: certificate claims, checks, identity.
    expect(pooled.results[0]!.attestations[0]!.certificate?.claims).toEqual(
      inline.results[0]!.attestations[0]!.certificate?.claims,
    );
    expect(pooled.results[0]!.identity).toEqual(inline.results[0]!.identity);
    expect(pooled.exitCode).toBe(2);
    expect(inline.exitCode).toBe(2);
  });
});

/** A job for the first file of `project` 1.0.0, with the index's provenance or `body`. */
function jobFor(project: string, body?: Buffer): ProvenanceBytesJob {
  const [file] = si.release(project, "1.0.0");
  return {
    file: { filename: file!.filename, sha256: file!.sha256 },
    body: body ?? (file!.provenance as Buffer),
    source: `${project} provenance`,
    expectations: {},
    identities: undefined,
  };
}

describe("a pool sharing the work with the main thread", () => {
  it("verifies inline until a worker has started, then hands it at most four jobs at a time", async () => {
    const root = loadTrustedRoot(si.root);
    const crypto = new AttestationCryptoVerifier(root);
    const job = jobFor("good");
    let inlineCalls = 0;
    const inline = (): TargetReport => {
      inlineCalls++;
      return verifyProvenanceBytes(job, crypto);
    };
    const expected = JSON.stringify(inline());
    inlineCalls = 0;

    const pool = VerifierPool.create(1, root, { shareWithMain: true })!;
    try {
      // The worker cannot have started yet: the job is verified here, at once.
      expect(JSON.stringify(await pool.run(job, inline))).toBe(expected);
      expect(inlineCalls).toBe(1);
      // Wait for the worker (it says so through shared memory, not a message).
      const deadline = Date.now() + 20_000;
      while (!pool.hasStartedWorker()) {
        if (Date.now() > deadline) throw new Error("the worker never started");
        await new Promise((r) => setTimeout(r, 20));
      }
      // Five jobs at once: four go to the worker, the fifth is verified here.
      const before = inlineCalls;
      const reports = await Promise.all([1, 2, 3, 4, 5].map(() => pool.run(job, inline)));
      expect(inlineCalls - before).toBe(1);
      for (const r of reports) expect(JSON.stringify(r)).toBe(expected);
    } finally {
      await pool.close();
    }
  });

  it("a job the worker rejects is an error there as inline", async () => {
    const root = loadTrustedRoot(si.root);
    const crypto = new AttestationCryptoVerifier(root);
    const job = jobFor("junk", Buffer.from('{"version": 1}'));
    const pool = VerifierPool.create(1, root)!; // not sharing: always the worker
    try {
      const viaWorker = await pool
        .run(job, () => verifyProvenanceBytes(job, crypto))
        .then(
          () => "verified",
          (err: Error) => err.message,
        );
      expect(viaWorker).toContain("not a PEP 740 provenance object");
      expect(() => verifyProvenanceBytes(job, crypto)).toThrow(viaWorker);
    } finally {
      await pool.close();
    }
  });
});
