/**
 * A minimal DER encoder: just enough ASN.1 to build X.509 certificates,
 * RFC 6962 SCT extensions and RFC 3161 / CMS time-stamp tokens by hand.
 * Everything here returns canonical DER so that re-encoding by a parser
 * (as @sigstore/verify does for the SCT pre-certificate) yields the same bytes.
 */
import type { Bytes } from "./keys.js";

function encodeLength(len: number): Bytes {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  let n = len;
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag-length-value with a single-byte tag. */
export function tlv(tag: number, value: Uint8Array): Bytes {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

export function seq(...items: Uint8Array[]): Bytes {
  return tlv(0x30, Buffer.concat(items));
}

/** SET OF, with members sorted as DER requires. */
export function set(...items: Uint8Array[]): Bytes {
  const sorted = items.map((i) => Buffer.from(i)).sort(Buffer.compare);
  return tlv(0x31, Buffer.concat(sorted));
}

/** Context-specific constructed tag [n] (EXPLICIT, or IMPLICIT over a constructed type). */
export function ctx(n: number, ...items: Uint8Array[]): Bytes {
  return tlv(0xa0 | n, Buffer.concat(items));
}

/** Context-specific primitive tag [n] IMPLICIT. */
export function ctxPrim(n: number, value: Uint8Array): Bytes {
  return tlv(0x80 | n, value);
}

/** Re-tags an encoded SET/SEQUENCE as [n] IMPLICIT (keeps the content). */
export function implicit(n: number, encoded: Bytes): Bytes {
  const out = Buffer.from(encoded);
  out[0] = 0xa0 | n;
  return out;
}

export function bool(v: boolean): Bytes {
  return tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
}

export function nullValue(): Bytes {
  return Buffer.from([0x05, 0x00]);
}

/** INTEGER from a number, bigint or unsigned big-endian bytes. */
export function int(v: number | bigint | Uint8Array): Bytes {
  let bytes: Bytes;
  if (typeof v === "number" || typeof v === "bigint") {
    let n = BigInt(v);
    if (n < 0n) throw new Error("negative INTEGER not supported");
    const out: number[] = [];
    do {
      out.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n > 0n);
    bytes = Buffer.from(out);
  } else {
    bytes = Buffer.from(v);
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    bytes = bytes.subarray(i);
  }
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  return tlv(0x02, bytes);
}

const oidCache = new Map<string, Bytes>();

export function oid(dotted: string): Bytes {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const encoded = encodeOid(dotted);
  oidCache.set(dotted, encoded);
  return encoded;
}

function encodeOid(dotted: string): Bytes {
  const arcs = dotted.split(".").map((a) => BigInt(a));
  const [a0, a1, ...rest] = arcs;
  if (a0 === undefined || a1 === undefined) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [a0 * 40n + a1, ...rest]) {
    const chunk: number[] = [];
    let n = arc;
    chunk.unshift(Number(n & 0x7fn));
    n >>= 7n;
    while (n > 0n) {
      chunk.unshift(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export function octet(v: Uint8Array): Bytes {
  return tlv(0x04, v);
}

/** BIT STRING with zero unused bits. */
export function bitString(v: Uint8Array): Bytes {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), v]));
}

export function utf8(s: string): Bytes {
  return tlv(0x0c, Buffer.from(s, "utf8"));
}

export function printable(s: string): Bytes {
  return tlv(0x13, Buffer.from(s, "ascii"));
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

export function utcTime(d: Date): Bytes {
  const s =
    pad(d.getUTCFullYear() % 100) +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds()) +
    "Z";
  return tlv(0x17, Buffer.from(s, "ascii"));
}

export function generalizedTime(d: Date): Bytes {
  const s =
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds()) +
    "Z";
  return tlv(0x18, Buffer.from(s, "ascii"));
}

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime after. */
export function x509Time(d: Date): Bytes {
  return d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d);
}
