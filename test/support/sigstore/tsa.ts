/**
 * An RFC 3161 time-stamping authority: a self-signed TSA root and a signing
 * leaf (EKU timeStamping), producing DER TimeStampResp tokens (CMS SignedData
 * over a TSTInfo) for a message imprint of the given bytes.
 */
import { randomBytes } from "node:crypto";
import { CA_NOT_AFTER, CA_NOT_BEFORE, KU_DIGITAL_SIGNATURE, createCaPair } from "./ca.js";
import type { IssuedCert } from "./ca.js";
import { ctx, generalizedTime, implicit, int, octet, oid, seq, set, utcTime } from "./der.js";
import { generateKey, sha256, signWith } from "./keys.js";
import {
  OID,
  authorityKeyIdExt,
  encodeName,
  extKeyUsageExt,
  issueCertificate,
  keyUsageExt,
  randomSerial,
  sha256AlgId,
  signatureAlgorithm,
  subjectKeyIdExt,
} from "./x509.js";
import type { Bytes } from "./keys.js";

const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_TSTINFO = "1.2.840.113549.1.9.16.1.4";
const OID_CONTENT_TYPE = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME = "1.2.840.113549.1.9.5";
const OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47";
/** The TSA policy OID the Sigstore timestamp authority uses. */
const OID_TSA_POLICY = "1.3.6.1.4.1.57264.2";

export interface TimestampOptions {
  /** Put this digest in the message imprint instead of sha256(data). */
  imprint?: Bytes;
}

export class TimestampAuthority {
  readonly root: IssuedCert;
  /** Issues the signing leaf. */
  readonly intermediate: IssuedCert;
  readonly leaf: IssuedCert;
  readonly uri: string;

  constructor(opts: { organization?: string; uri?: string } = {}) {
    const org = opts.organization ?? "sigstore.test";
    const pair = createCaPair(
      { organization: org, commonName: "sigstore-tsa-selfsigned" },
      { organization: org, commonName: "sigstore-tsa-intermediate" },
    );
    this.root = pair.root;
    this.intermediate = pair.intermediate;
    const leafKey = generateKey("P-256");
    const leafName = { organization: org, commonName: "sigstore-tsa" };
    const serial = randomSerial();
    const der = issueCertificate(
      {
        serial,
        issuer: this.intermediate.name,
        subject: leafName,
        notBefore: CA_NOT_BEFORE,
        notAfter: CA_NOT_AFTER,
        spki: leafKey.spki,
        extensions: [
          keyUsageExt([KU_DIGITAL_SIGNATURE]),
          subjectKeyIdExt(leafKey.spki),
          authorityKeyIdExt(this.intermediate.key.spki),
          extKeyUsageExt([OID.timeStamping], true),
        ],
      },
      this.intermediate.key,
    );
    this.leaf = { der, key: leafKey, name: leafName, serial };
    this.uri = opts.uri ?? "https://timestamp.sigstore.test/api/v1/timestamp";
  }

  /** Chain as a trusted root lists it: signing leaf, intermediate, root. */
  get chain(): Bytes[] {
    return [this.leaf.der, this.intermediate.der, this.root.der];
  }

  /** A DER TimeStampResp (status granted) stamping `data` at `time` (second precision). */
  timestamp(data: Uint8Array, time: Date, o: TimestampOptions = {}): Bytes {
    const tstInfo = seq(
      int(1),
      oid(OID_TSA_POLICY),
      seq(sha256AlgId(), octet(o.imprint ?? sha256(data))),
      int(randomSerial()),
      generalizedTime(time),
      seq(int(1)), // accuracy: 1 second
      int(randomBytes(8)), // nonce
    );
    const issuerName = encodeName(this.intermediate.name);
    const essCertId = seq(
      octet(sha256(this.leaf.der)),
      seq(seq(ctx(4, issuerName)), int(this.leaf.serial)),
    );
    const attrs = [
      seq(oid(OID_CONTENT_TYPE), set(oid(OID_TSTINFO))),
      seq(oid(OID_SIGNING_TIME), set(utcTime(time))),
      seq(oid(OID_MESSAGE_DIGEST), set(octet(sha256(tstInfo)))),
      seq(oid(OID_SIGNING_CERT_V2), set(seq(seq(essCertId)))),
    ];
    const signedAttrs = set(...attrs);
    const signature = signWith(this.leaf.key, signedAttrs);
    const signerInfo = seq(
      int(1),
      seq(issuerName, int(this.leaf.serial)),
      sha256AlgId(),
      implicit(0, signedAttrs),
      signatureAlgorithm(this.leaf.key.curve),
      octet(signature),
    );
    const signedData = seq(
      int(3),
      set(sha256AlgId()),
      seq(oid(OID_TSTINFO), ctx(0, octet(tstInfo))),
      ctx(0, this.leaf.der), // certificates [0] IMPLICIT SET OF Certificate
      set(signerInfo),
    );
    const token = seq(oid(OID_SIGNED_DATA), ctx(0, signedData));
    return seq(seq(int(0)), token);
  }
}
