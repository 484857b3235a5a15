/**
 * The synthetic instance's trusted_root.json (protobuf-JSON), shaped like the
 * production one, with knobs to drop, bound, or swap out any entry.
 */
import type { CertificateAuthority } from "./ca.js";
import type { CTLog } from "./ctlog.js";
import { keyDetails } from "./keys.js";
import type { Bytes, KeyPair } from "./keys.js";
import type { RekorV1Log, RekorV2Log } from "./rekor.js";
import type { TimestampAuthority } from "./tsa.js";

export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/** Default validFor.start of every entry (before any CA notBefore a test would use). */
export const DEFAULT_VALID_FROM = new Date("2020-06-01T00:00:00Z");

export type TrustEntry = "rekorV1" | "rekorV2" | "fulcio" | "ctlog" | "tsa";

export interface TrustedRootOptions {
  /** Entries to include (default: all five). */
  include?: TrustEntry[];
  /** Entries whose validFor.start is left out. */
  omitValidForStart?: TrustEntry[];
  /** Per-entry validFor.start (default DEFAULT_VALID_FROM). */
  validForStart?: Partial<Record<TrustEntry, Date | string>>;
  /** Per-entry validFor.end (default none). */
  validForEnd?: Partial<Record<TrustEntry, Date | string>>;
  /**
   * Entries whose key material is swapped for a foreign one: logs keep their
   * genuine logId/baseUrl but list a foreign public key; the Fulcio CA and the
   * TSA list a foreign certificate chain.
   */
  foreignKey?: TrustEntry[];
  /** Also trust the foreign counterpart of these entries (listed after the genuine one). */
  alsoTrustForeign?: ("fulcio" | "ctlog" | "tsa")[];
}

/** Everything a trusted root can name: the genuine instance and its foreign twins. */
export interface TrustComponents {
  fulcio: CertificateAuthority;
  foreignFulcio: CertificateAuthority;
  ctlog: CTLog;
  foreignCtlog: CTLog;
  rekorV1: RekorV1Log;
  foreignRekorV1Key: KeyPair;
  rekorV2: RekorV2Log;
  foreignRekorV2Key: KeyPair;
  tsa: TimestampAuthority;
  foreignTsa: TimestampAuthority;
}

/** The JSON trusted root (the subset of fields these tests produce). */
export interface TrustedRootJSON {
  mediaType: string;
  tlogs: Record<string, unknown>[];
  certificateAuthorities: Record<string, unknown>[];
  ctlogs: Record<string, unknown>[];
  timestampAuthorities: Record<string, unknown>[];
}

function iso(d: Date | string): string {
  return (typeof d === "string" ? new Date(d) : d).toISOString().replace(".000Z", "Z");
}

export function trustedRootFor(c: TrustComponents, o: TrustedRootOptions = {}): TrustedRootJSON {
  const include = new Set(o.include ?? ["rekorV1", "rekorV2", "fulcio", "ctlog", "tsa"]);
  const foreign = new Set(o.foreignKey ?? []);
  const alsoForeign = new Set<TrustEntry>(o.alsoTrustForeign ?? []);
  const omitStart = new Set(o.omitValidForStart ?? []);

  const validFor = (e: TrustEntry): Record<string, string> => {
    const v: Record<string, string> = {};
    if (!omitStart.has(e)) v["start"] = iso(o.validForStart?.[e] ?? DEFAULT_VALID_FROM);
    const end = o.validForEnd?.[e];
    if (end !== undefined) v["end"] = iso(end);
    return v;
  };
  const log = (e: TrustEntry, baseUrl: string, key: KeyPair, logId: Bytes) => ({
    baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: key.spki.toString("base64"),
      keyDetails: keyDetails(key.curve),
      validFor: validFor(e),
    },
    logId: { keyId: logId.toString("base64") },
  });
  const authority = (e: TrustEntry, commonName: string, uri: string, chain: Bytes[]) => ({
    subject: { organization: "sigstore.test", commonName },
    uri,
    certChain: { certificates: chain.map((der) => ({ rawBytes: der.toString("base64") })) },
    validFor: validFor(e),
  });

  const tlogs: Record<string, unknown>[] = [];
  if (include.has("rekorV1")) {
    const r = c.rekorV1;
    tlogs.push(
      log("rekorV1", r.baseUrl, foreign.has("rekorV1") ? c.foreignRekorV1Key : r.key, r.logId),
    );
  }
  if (include.has("rekorV2")) {
    const r = c.rekorV2;
    tlogs.push(
      log("rekorV2", r.baseUrl, foreign.has("rekorV2") ? c.foreignRekorV2Key : r.key, r.logId),
    );
  }
  const ctlogs: Record<string, unknown>[] = [];
  if (include.has("ctlog")) {
    const key = foreign.has("ctlog") ? c.foreignCtlog.key : c.ctlog.key;
    ctlogs.push(log("ctlog", c.ctlog.baseUrl, key, c.ctlog.logId));
  }
  if (alsoForeign.has("ctlog")) {
    const f = c.foreignCtlog;
    ctlogs.push(log("ctlog", f.baseUrl, f.key, f.logId));
  }
  const cas: Record<string, unknown>[] = [];
  if (include.has("fulcio")) {
    const ca = foreign.has("fulcio") ? c.foreignFulcio : c.fulcio;
    cas.push(authority("fulcio", "sigstore", c.fulcio.uri, ca.chain));
  }
  if (alsoForeign.has("fulcio")) {
    const f = c.foreignFulcio;
    cas.push(authority("fulcio", "sigstore", f.uri, f.chain));
  }
  const tsas: Record<string, unknown>[] = [];
  if (include.has("tsa")) {
    const t = foreign.has("tsa") ? c.foreignTsa : c.tsa;
    tsas.push(authority("tsa", "sigstore-tsa-selfsigned", c.tsa.uri, t.chain));
  }
  if (alsoForeign.has("tsa")) {
    const f = c.foreignTsa;
    tsas.push(authority("tsa", "sigstore-tsa-selfsigned", f.uri, f.chain));
  }
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs,
    certificateAuthorities: cas,
    ctlogs,
    timestampAuthorities: tsas,
  };
}
