/**
 * A verification worker (bundled as dist/verify-worker.js): it receives the
 * trusted root once, then verifies provenance jobs and posts back reports.
 * Errors travel back as { code, message } and become "error" verdicts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PyprovError, describeError } from "../errors.js";
import { parseTrustedRoot } from "../sigstore/trust-root.js";
import { AttestationCryptoVerifier } from "../sigstore/verifier.js";
import { verifyProvenanceBytes, type ProvenanceBytesJob } from "./provenance-bytes.js";

interface Init {
  root: Uint8Array;
  source: string;
}

const init = workerData as Init;
const crypto = new AttestationCryptoVerifier(parseTrustedRoot(Buffer.from(init.root), init.source));

parentPort?.on("message", (msg: { id: number; job: ProvenanceBytesJob }) => {
  try {
    const report = verifyProvenanceBytes(msg.job, crypto);
    parentPort?.postMessage({ id: msg.id, report });
  } catch (err) {
    const code = err instanceof PyprovError ? err.code : "INTERNAL";
    const source = err instanceof PyprovError ? err.source : undefined;
    parentPort?.postMessage({
      id: msg.id,
      error: {
        code,
        message: err instanceof PyprovError ? err.message : describeError(err),
        source,
      },
    });
  }
});
