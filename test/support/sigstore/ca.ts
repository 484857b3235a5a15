/**
 * A Fulcio-like certificate authority: a self-signed root and an intermediate
 * that issues short-lived code-signing leaves carrying the signer's identity
 * and an embedded SCT.
 */
import { sctListExtension } from "./ctlog.js";
import type { CTLog } from "./ctlog.js";
import { encodeIdentityExtension } from "./identity.js";
import type { Identity } from "./identity.js";
import { generateKey } from "./keys.js";
import type { Bytes, Curve, KeyPair } from "./keys.js";
import {
  OID,
  authorityKeyIdExt,
  basicConstraintsExt,
  extKeyUsageExt,
  issueCertificate,
  keyUsageExt,
  randomSerial,
  signTbs,
  subjectAltNameExt,
  subjectKeyIdExt,
  tbsCertificate,
} from "./x509.js";
import type { Extension, Name } from "./x509.js";

export const KU_DIGITAL_SIGNATURE = 0;
export const KU_KEY_CERT_SIGN = 5;
export const KU_CRL_SIGN = 6;

/** CA certificates are valid for this window, so any test date in between works. */
export const CA_NOT_BEFORE = new Date("2020-01-01T00:00:00Z");
export const CA_NOT_AFTER = new Date("2099-12-31T23:59:59Z");

export interface IssuedCert {
  der: Bytes;
  key: KeyPair;
  name: Name;
  /** Serial number content bytes. */
  serial: Bytes;
}

export interface CAOptions {
  organization?: string;
  rootCurve?: Curve;
  intermediateCurve?: Curve;
  notBefore?: Date;
  notAfter?: Date;
}

/** Issues a self-signed root and an intermediate below it. */
export function createCaPair(
  rootName: Name,
  intermediateName: Name,
  opts: CAOptions & { intermediateEku?: string[] } = {},
): { root: IssuedCert; intermediate: IssuedCert } {
  const notBefore = opts.notBefore ?? CA_NOT_BEFORE;
  const notAfter = opts.notAfter ?? CA_NOT_AFTER;
  const rootKey = generateKey(opts.rootCurve ?? "P-384");
  const rootSerial = randomSerial();
  const rootDer = issueCertificate(
    {
      serial: rootSerial,
      issuer: rootName,
      subject: rootName,
      notBefore,
      notAfter,
      spki: rootKey.spki,
      extensions: [
        keyUsageExt([KU_KEY_CERT_SIGN, KU_CRL_SIGN]),
        basicConstraintsExt(true, 1),
        subjectKeyIdExt(rootKey.spki),
      ],
    },
    rootKey,
  );
  const intKey = generateKey(opts.intermediateCurve ?? "P-256");
  const intSerial = randomSerial();
  const intDer = issueCertificate(
    {
      serial: intSerial,
      issuer: rootName,
      subject: intermediateName,
      notBefore,
      notAfter,
      spki: intKey.spki,
      extensions: [
        keyUsageExt([KU_KEY_CERT_SIGN, KU_CRL_SIGN]),
        ...(opts.intermediateEku ? [extKeyUsageExt(opts.intermediateEku)] : []),
        basicConstraintsExt(true, 0),
        subjectKeyIdExt(intKey.spki),
        authorityKeyIdExt(rootKey.spki),
      ],
    },
    rootKey,
  );
  return {
    root: { der: rootDer, key: rootKey, name: rootName, serial: rootSerial },
    intermediate: { der: intDer, key: intKey, name: intermediateName, serial: intSerial },
  };
}

export interface LeafOptions {
  /** The leaf's SubjectPublicKeyInfo DER. */
  spki: Bytes;
  identity: Identity;
  notBefore: Date;
  notAfter: Date;
  /** KeyUsage bits (default [digitalSignature]); null omits the extension. */
  keyUsage?: number[] | null;
  /** ExtendedKeyUsage OIDs (default [codeSigning]); null omits the extension. */
  extKeyUsage?: string[] | null;
  /** BasicConstraints: "ca-false" (default), "ca-true", or omitted. */
  basicConstraints?: "ca-false" | "ca-true" | "omit";
  /** Embed an SCT signed by this CT log (by `signer` instead of the log's key if given). */
  sct?: { log: CTLog; signer?: KeyPair; timestampMs?: number } | null;
  serial?: Bytes;
}

export interface IssuedLeaf {
  der: Bytes;
  serial: Bytes;
}

export class CertificateAuthority {
  readonly root: IssuedCert;
  readonly intermediate: IssuedCert;
  readonly uri: string;

  constructor(opts: CAOptions & { uri?: string } = {}) {
    const org = opts.organization ?? "sigstore.test";
    const pair = createCaPair(
      { organization: org, commonName: "sigstore" },
      { organization: org, commonName: "sigstore-intermediate" },
      { ...opts, intermediateEku: [OID.codeSigning] },
    );
    this.root = pair.root;
    this.intermediate = pair.intermediate;
    this.uri = opts.uri ?? "https://fulcio.sigstore.test";
  }

  /** Chain as a trusted root lists it: intermediate first, then the root. */
  get chain(): Bytes[] {
    return [this.intermediate.der, this.root.der];
  }

  issueLeaf(o: LeafOptions): IssuedLeaf {
    const serial = o.serial ?? randomSerial();
    const issuerKey = this.intermediate.key;
    const ext: Extension[] = [];
    const ku = o.keyUsage === undefined ? [KU_DIGITAL_SIGNATURE] : o.keyUsage;
    if (ku !== null) ext.push(keyUsageExt(ku));
    const eku = o.extKeyUsage === undefined ? [OID.codeSigning] : o.extKeyUsage;
    if (eku !== null) ext.push(extKeyUsageExt(eku));
    const bc = o.basicConstraints ?? "ca-false";
    if (bc !== "omit") ext.push(basicConstraintsExt(bc === "ca-true"));
    ext.push(subjectKeyIdExt(o.spki), authorityKeyIdExt(issuerKey.spki));
    if (o.identity.san) ext.push(subjectAltNameExt(o.identity.san));
    for (const [oidStr, value] of Object.entries(o.identity.extensions)) {
      ext.push({ oid: oidStr, value: encodeIdentityExtension(oidStr, value) });
    }
    const spec = {
      serial,
      issuer: this.intermediate.name,
      subject: {},
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      spki: o.spki,
      extensions: ext,
    };
    if (o.sct) {
      // The SCT covers the pre-certificate: the final TBS minus the SCT extension.
      const precert = tbsCertificate(spec, issuerKey.curve);
      const sct = o.sct.log.signSct(
        precert,
        issuerKey.spki,
        o.sct.timestampMs ?? o.notBefore.getTime(),
        o.sct.signer,
      );
      spec.extensions = [...ext, sctListExtension([sct])];
    }
    const der = signTbs(tbsCertificate(spec, issuerKey.curve), issuerKey);
    return { der, serial };
  }
}
