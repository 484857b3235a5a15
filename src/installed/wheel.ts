/**
 * What a wheel says it installs, read from the wheel's own bytes: its
 * RECORD, the script names of its entry_points.txt, and for each
 * `.data/scripts/` file that starts with `#!python` (which installers
 * rewrite) the sha256 of the bytes after that first line.
 *
 * Read only from bytes whose sha256 the caller has checked against the
 * digest the attestation signs: what comes out is the publisher's word.
 *
 * The zip reader is deliberately small and strict: one end-of-central-
 * directory record, no ZIP64, no encryption, stored or deflated entries,
 * sizes and CRC-32 checked; anything else is an error, never a guess.
 */
import { createHash } from "node:crypto";
import { crc32, inflateRawSync } from "node:zlib";
import { PyprovError } from "../errors.js";
import type { WheelContents } from "./compare.js";
import { scriptNames } from "./dist-info.js";
import { parseRecord } from "./record.js";

/** Largest entry inflated (a RECORD or a script). */
const MAX_ENTRY = 64 * 1024 * 1024;

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export function readWheelContents(bytes: Buffer, source: string): WheelContents {
  return readWheel(bytes, source).contents;
}

/** The contents, and the RECORD's text as the wheel holds it (what a cache keeps). */
export function readWheel(
  bytes: Buffer,
  source: string,
): { contents: WheelContents; recordText: string } {
  const entries = centralDirectory(bytes, source);
  const records = entries.filter((e) => /^[^/]+\.dist-info\/RECORD$/.test(e.name));
  if (records.length !== 1) {
    throw bad(source, `a wheel has exactly one *.dist-info/RECORD, this one has ${records.length}`);
  }
  const record = records[0] as ZipEntry;
  const distInfo = record.name.slice(0, -"/RECORD".length);
  const text = (e: ZipEntry) => {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(entryBytes(bytes, e, source));
    } catch (err) {
      if (err instanceof PyprovError) throw err;
      throw bad(source, `${e.name} is not valid UTF-8`);
    }
  };
  const entryPoints = entries.find((e) => e.name === `${distInfo}/entry_points.txt`);
  const scriptsDir = `${distInfo.slice(0, -".dist-info".length)}.data/scripts/`;
  const scriptTails = new Map<string, string>();
  for (const e of entries) {
    if (!e.name.startsWith(scriptsDir) || e.name.endsWith("/")) continue;
    const body = entryBytes(bytes, e, source);
    if (!body.subarray(0, 8).equals(Buffer.from("#!python"))) continue;
    const nl = body.indexOf(0x0a);
    const tail = nl < 0 ? Buffer.alloc(0) : body.subarray(nl + 1);
    scriptTails.set(e.name, createHash("sha256").update(tail).digest("hex"));
  }
  const recordText = text(record);
  return {
    recordText,
    contents: {
      distInfo,
      record: parseRecord(recordText, `${source}!${record.name}`),
      entryPointScripts: entryPoints ? scriptNames(text(entryPoints)) : [],
      scriptTails,
    },
  };
}

function centralDirectory(bytes: Buffer, source: string): ZipEntry[] {
  const EOCD = 0x06054b50;
  const from = Math.max(0, bytes.length - (22 + 0xffff));
  let eocd = -1;
  for (let i = bytes.length - 22; i >= from; i--) {
    if (bytes.readUInt32LE(i) === EOCD && i + 22 + bytes.readUInt16LE(i + 20) === bytes.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad(source, "not a zip file (no end of central directory)");
  const count = bytes.readUInt16LE(eocd + 10);
  const size = bytes.readUInt32LE(eocd + 12);
  const offset = bytes.readUInt32LE(eocd + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    throw bad(source, "ZIP64 wheels are not read");
  }
  if (offset + size > eocd) throw bad(source, "the central directory lies outside the file");
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = offset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || bytes.readUInt32LE(p) !== 0x02014b50) {
      throw bad(source, "a central directory entry is malformed");
    }
    const nameLen = bytes.readUInt16LE(p + 28);
    const extraLen = bytes.readUInt16LE(p + 30);
    const commentLen = bytes.readUInt16LE(p + 32);
    const name = bytes.toString("utf8", p + 46, p + 46 + nameLen);
    if (names.has(name)) throw bad(source, `${JSON.stringify(name)} is in the wheel twice`);
    names.add(name);
    entries.push({
      name,
      flags: bytes.readUInt16LE(p + 8),
      method: bytes.readUInt16LE(p + 10),
      crc: bytes.readUInt32LE(p + 16),
      compressedSize: bytes.readUInt32LE(p + 20),
      size: bytes.readUInt32LE(p + 24),
      localOffset: bytes.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function entryBytes(bytes: Buffer, e: ZipEntry, source: string): Buffer {
  if (e.flags & 1) throw bad(source, `${e.name} is encrypted`);
  if (e.size > MAX_ENTRY) throw bad(source, `${e.name} is larger than ${MAX_ENTRY} bytes`);
  const p = e.localOffset;
  if (p + 30 > bytes.length || bytes.readUInt32LE(p) !== 0x04034b50) {
    throw bad(source, `${e.name}: no local header where the central directory says`);
  }
  const start = p + 30 + bytes.readUInt16LE(p + 26) + bytes.readUInt16LE(p + 28);
  const end = start + e.compressedSize;
  if (end > bytes.length) throw bad(source, `${e.name} runs past the end of the file`);
  const raw = bytes.subarray(start, end);
  let out: Buffer;
  if (e.method === 0) out = raw;
  else if (e.method === 8) {
    try {
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch {
      throw bad(source, `${e.name} does not inflate to its recorded size`);
    }
  } else throw bad(source, `${e.name} uses compression method ${e.method}`);
  if (out.length !== e.size || crc32(out) !== e.crc) {
    throw bad(source, `${e.name} does not match its recorded size and CRC-32`);
  }
  return out;
}

function bad(source: string, message: string): PyprovError {
  return new PyprovError("INPUT_MALFORMED", message, { source });
}
