/**
 * A Certificate Transparency log (RFC 6962) that only does one thing: sign
 * SCTs over pre-certificates, embedded in the leaf as Fulcio does.
 */
import { octet } from "./der.js";
import { generateKey, sha256, signWith } from "./keys.js";
import type { Bytes, KeyPair } from "./keys.js";
import { OID } from "./x509.js";
import type { Extension } from "./x509.js";

export class CTLog {
  readonly key: KeyPair;
  /** RFC 6962 log ID: SHA-256 of the log's SubjectPublicKeyInfo DER. */
  readonly logId: Bytes;
  readonly baseUrl: string;

  constructor(opts: { key?: KeyPair; baseUrl?: string } = {}) {
    this.key = opts.key ?? generateKey("P-256");
    this.logId = sha256(this.key.spki);
    this.baseUrl = opts.baseUrl ?? "https://ctfe.sigstore.test/test";
  }

  /**
   * Signs an SCT for a pre-certificate: `precertTbs` is the leaf's
   * TBSCertificate without the SCT extension, `issuerSpki` the issuing CA's key.
   * `signer` replaces the log's key (the SCT still names this log's ID).
   */
  signSct(precertTbs: Bytes, issuerSpki: Bytes, timestampMs: number, signer?: KeyPair): Bytes {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(timestampMs));
    const tbsLen = Buffer.alloc(3);
    tbsLen.writeUIntBE(precertTbs.length, 0, 3);
    const signed = Buffer.concat([
      Buffer.from([0x00, 0x00]), // v1, certificate_timestamp
      ts,
      Buffer.from([0x00, 0x01]), // precert_entry
      sha256(issuerSpki),
      tbsLen,
      precertTbs,
      Buffer.from([0x00, 0x00]), // no extensions
    ]);
    const sig = signWith(signer ?? this.key, signed);
    const sigLen = Buffer.alloc(2);
    sigLen.writeUInt16BE(sig.length);
    return Buffer.concat([
      Buffer.from([0x00]), // v1
      this.logId,
      ts,
      Buffer.from([0x00, 0x00]), // extensions length
      Buffer.from([0x04, 0x03]), // sha256, ecdsa
      sigLen,
      sig,
    ]);
  }
}

/** The embedded SCT list extension (1.3.6.1.4.1.11129.2.4.2). */
export function sctListExtension(scts: Bytes[]): Extension {
  const items = scts.map((s) => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(s.length);
    return Buffer.concat([len, s]);
  });
  const body = Buffer.concat(items);
  const total = Buffer.alloc(2);
  total.writeUInt16BE(body.length);
  return { oid: OID.sct, value: octet(Buffer.concat([total, body])) };
}
