/**
 * pyprov's own check of a Fulcio leaf certificate: that it chains to a
 * trusted CA at a verified time, and that its embedded SCTs are signed by a
 * trusted CT log. The rules are @sigstore/verify's (`verifyCertificateChain`
 * and `verifySCTs`, which it does not export), followed step by step with the
 * same error codes and messages; what differs is how the work is done:
 *
 *  - DER is encoded by pyprov's own one-pass encoder (./der.ts), once per
 *    certificate per check, and once for good for the trust material's
 *    certificates (which pyprov never edits);
 *  - a signature between two certificates of the trust material (root over
 *    intermediate, ~0.5 ms for P-384) is checked once per verifier, and each
 *    trusted issuer's public key is made once; a leaf's signature is checked
 *    every time;
 *  - the pre-certificate for the SCT check is encoded with the SCT extension
 *    left out, instead of cloning and editing the leaf.
 *
 * @sigstore/core's classes are used as they are (parsing, extension getters,
 * `SignedCertificateTimestamp.verify`); nothing of theirs is replaced.
 * test/sigstore/certificates.test.ts compares every function here with the
 * library's own result on the real corpus and on the test Sigstore's faults.
 */
import {
  EXTENSION_OID_SCT,
  X509SCTExtension,
  type ASN1Obj,
  type X509Certificate,
} from "@sigstore/core";
import { VerificationError, type TrustMaterial } from "@sigstore/verify";
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { encodeDer } from "./der.js";

export type CertAuthority = TrustMaterial["certificateAuthorities"][number];
export type TLogAuthority = TrustMaterial["ctlogs"][number];

function certificateError(message: string, cause?: unknown): VerificationError {
  return new VerificationError({ code: "CERTIFICATE_ERROR", message, cause });
}

/** Per-check memo for certificates outside the trust material (new objects each check). */
type Session = Map<X509Certificate, Buffer>;

export class CertificateVerifier {
  private readonly trusted = new WeakSet<X509Certificate>();
  private readonly trustedDer = new WeakMap<X509Certificate, Buffer>();
  private readonly trustedKeys = new WeakMap<X509Certificate, KeyObject>();
  private readonly trustedIssued = new WeakMap<X509Certificate, Map<X509Certificate, boolean>>();

  constructor(
    private readonly certificateAuthorities: readonly CertAuthority[],
    private readonly ctlogs: readonly TLogAuthority[],
  ) {
    for (const ca of certificateAuthorities) for (const c of ca.certChain) this.trusted.add(c);
  }

  /** The certificate's DER as `cert.root.toDER()` gives it. */
  der(cert: X509Certificate, session?: Session): Buffer {
    if (this.trusted.has(cert)) {
      let der = this.trustedDer.get(cert);
      if (der === undefined) {
        der = encodeDer(cert.root);
        this.trustedDer.set(cert, der);
      }
      return der;
    }
    let der = session?.get(cert);
    if (der === undefined) {
      der = encodeDer(cert.root);
      session?.set(cert, der);
    }
    return der;
  }

  /** `a.equals(b)`: the same DER. */
  equals(a: X509Certificate, b: X509Certificate, session?: Session): boolean {
    return a === b || this.der(a, session).equals(this.der(b, session));
  }

  private keyOf(cert: X509Certificate): KeyObject {
    if (!this.trusted.has(cert))
      return createPublicKey({ key: cert.publicKey, format: "der", type: "spki" });
    let key = this.trustedKeys.get(cert);
    if (key === undefined) {
      key = createPublicKey({ key: cert.publicKey, format: "der", type: "spki" });
      this.trustedKeys.set(cert, key);
    }
    return key;
  }

  /**
   * `cert.verify(issuer)`: the signature over the TBS certificate verifies
   * with the issuer's key (the certificate's own when no issuer is given).
   * Throws, as the library does, when that key cannot be read.
   */
  issued(cert: X509Certificate, issuer?: X509Certificate): boolean {
    const signer = issuer ?? cert;
    const memo = this.trusted.has(cert) && this.trusted.has(signer);
    if (memo) {
      const known = this.trustedIssued.get(cert)?.get(signer);
      if (known !== undefined) return known;
    }
    const key = this.keyOf(signer);
    let ok: boolean;
    try {
      ok = cryptoVerify(
        cert.signatureAlgorithm,
        encodeDer(cert.tbsCertificate),
        key,
        cert.signatureValue,
      );
    } catch {
      ok = false;
    }
    if (memo) {
      let bySigner = this.trustedIssued.get(cert);
      if (!bySigner) {
        bySigner = new Map();
        this.trustedIssued.set(cert, bySigner);
      }
      bySigner.set(signer, ok);
    }
    return ok;
  }

  /**
   * The leaf's path to a trusted CA valid at `timestamp` ([leaf, …, the
   * certificate below the root]), as @sigstore/verify's
   * verifyCertificateChain returns it; throws its CERTIFICATE_ERROR otherwise.
   */
  chain(leaf: X509Certificate, timestamp: Date): X509Certificate[] {
    const cas = this.certificateAuthorities.filter(
      (ca) => ca.validFor.start <= timestamp && ca.validFor.end >= timestamp,
    );
    let error: unknown;
    for (const ca of cas) {
      try {
        return this.pathWithin(ca.certChain, leaf, timestamp);
      } catch (err) {
        error = err;
      }
    }
    throw certificateError("Failed to verify certificate chain", error);
  }

  private pathWithin(
    trustedCerts: readonly X509Certificate[],
    leaf: X509Certificate,
    timestamp: Date,
  ): X509Certificate[] {
    const session: Session = new Map();
    const local = [...trustedCerts, leaf];
    for (let i = 0; i < local.length; i++) {
      for (let j = i + 1; j < local.length; j++) {
        if (this.equals(local[i]!, local[j]!, session)) {
          local.splice(j, 1);
          j--;
        }
      }
    }

    // All paths from the leaf up to a self-signed certificate.
    const buildPaths = (cert: X509Certificate, depth: number): X509Certificate[][] => {
      // The library recurses without a bound; a cycle of certificates that
      // sign each other ends its search with a stack overflow. This ends it
      // with an error instead (no path is longer than the certificates).
      if (depth > local.length) throw certificateError("no valid certificate path found");
      const issuers = this.findIssuers(cert, local);
      if (issuers.length === 0) throw certificateError("no valid certificate path found");
      const paths: X509Certificate[][] = [];
      for (const issuer of issuers) {
        if (this.equals(issuer, cert, session)) {
          paths.push([cert]);
          continue;
        }
        for (const sub of buildPaths(issuer, depth + 1)) paths.push([issuer, ...sub]);
      }
      return paths;
    };
    const paths = buildPaths(leaf, 0).filter((p) => p.some((c) => trustedCerts.includes(c)));
    if (paths.length === 0) throw certificateError("no trusted certificate path found");
    const shortest = paths.reduce((prev, curr) => (prev.length < curr.length ? prev : curr));
    const path = [leaf, ...shortest].slice(0, -1);

    checkPath(path);
    if (!path.every((c) => c.validForDate(timestamp))) {
      throw certificateError("certificate is not valid or expired at the specified date");
    }
    return path;
  }

  private findIssuers(cert: X509Certificate, local: readonly X509Certificate[]): X509Certificate[] {
    if (cert.subject.equals(cert.issuer) && this.issued(cert)) return [cert];
    const keyIdentifier = cert.extAuthorityKeyID?.keyIdentifier;
    const candidates: X509Certificate[] = [];
    for (const possible of local) {
      if (keyIdentifier) {
        const ski = possible.extSubjectKeyID;
        if (ski) {
          if (ski.keyIdentifier.equals(keyIdentifier)) candidates.push(possible);
          continue;
        }
      }
      if (possible.subject.equals(cert.issuer)) candidates.push(possible);
    }
    return candidates.filter((issuer) => {
      try {
        return this.issued(cert, issuer);
      } catch {
        return false;
      }
    });
  }

  /**
   * The log IDs of the leaf's SCTs, each verified over the RFC 6962
   * pre-certificate with a CT log valid at its time, as @sigstore/verify's
   * verifySCTs and its one-SCT threshold require; throws CERTIFICATE_ERROR.
   */
  checkScts(path: readonly X509Certificate[]): Buffer[] {
    const [cert, issuer] = path;
    if (!cert || !issuer) throw certificateError("certificate chain has no issuer for its SCTs");
    let found: { ext: ASN1Obj; sct: X509SCTExtension } | undefined;
    for (const ext of cert.extensions) {
      if (ext.subs[0]!.toOID() === EXTENSION_OID_SCT) {
        found = { ext, sct: new X509SCTExtension(ext) };
        break;
      }
    }
    const logIds: Buffer[] = [];
    if (found && found.sct.signedCertificateTimestamps.length > 0) {
      const issuerId = createHash("sha256").update(issuer.publicKey).digest();
      const tbs = encodeDer(cert.tbsCertificate, found.ext);
      const preCert = Buffer.allocUnsafe(issuerId.length + 3 + tbs.length);
      issuerId.copy(preCert, 0);
      preCert.writeUIntBE(tbs.length, issuerId.length, 3);
      tbs.copy(preCert, issuerId.length + 3);
      for (const sct of found.sct.signedCertificateTimestamps) {
        const when = sct.datetime;
        const ok = this.ctlogs.some(
          (log) =>
            log.logID.equals(sct.logID) &&
            log.validFor.start <= when &&
            when <= log.validFor.end &&
            sct.verify(preCert, log.publicKey),
        );
        if (!ok) throw certificateError("SCT verification failed");
        logIds.push(sct.logID);
      }
    }
    for (let i = 0; i < logIds.length; i++) {
      for (let j = i + 1; j < logIds.length; j++) {
        if (logIds[i]!.equals(logIds[j]!)) throw certificateError("duplicate SCT");
      }
    }
    if (logIds.length < 1) throw certificateError(`expected 1 SCTs, got ${logIds.length}`);
    return logIds;
  }
}

/** The library's checkPath: CA flags, name chaining and path-length constraints. */
function checkPath(path: readonly X509Certificate[]): void {
  if (path.length < 1) {
    throw certificateError("certificate chain must contain at least one certificate");
  }
  if (!path.slice(1).every((c) => c.isCA)) {
    throw certificateError("intermediate certificate is not a CA");
  }
  for (let i = path.length - 2; i >= 0; i--) {
    if (!path[i]!.issuer.equals(path[i + 1]!.subject)) {
      throw certificateError("incorrect certificate name chaining");
    }
  }
  for (let i = 0; i < path.length; i++) {
    const bc = path[i]!.extBasicConstraints;
    if (bc?.isCA) {
      const pathLength = bc.pathLenConstraint;
      if (pathLength !== undefined && pathLength < i - 1) {
        throw certificateError("path length constraint exceeded");
      }
    }
  }
}
