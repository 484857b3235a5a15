/**
 * Verification workers (dist/verify-worker.js, built by `npm test` before the
 * suite runs) reach exactly the verdicts the calling thread reaches, for
 * passing, failing, missing and malformed provenance.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyDistributions, type VerifyRun } from "../../src/pipeline.js";
import { WORKER_SCRIPT } from "../../src/verify/workers.js";
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
