/**
 * The proxy's content-addressed file cache: `<dir>/<aa>/<sha256>`, where the
 * name is the sha256 the verified page listed. A file enters only whole and
 * only when its bytes hash to that digest (downloaded into `<dir>/tmp/`,
 * flushed, renamed). It leaves only through {@link FileStore.read}, which
 * checks every block against per-block digests taken from bytes that hashed
 * to the file's digest, before any byte of the block is sent: an edited
 * cache file is caught at the first edited block, the response is cut short
 * (never a complete wrong body), and the file is dropped.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { PyprovError } from "../errors.js";
import type { DownloadSink } from "../pypi/http.js";

/** Bytes per verified block: the unit a read checks before sending. */
export const BLOCK_SIZE = 256 * 1024;
/** Memory for per-block digests (32 bytes per 256 KiB: 128 GiB of files). */
const MAX_BLOCK_DIGEST_BYTES = 16 * 1024 * 1024;

/** The upstream bytes or the cached bytes are not those of the verified digest. */
export class Tampered extends Error {
  constructor(
    readonly where: "upstream" | "cache",
    message: string,
  ) {
    super(message);
  }
}

/** Per-block sha256 digests of a stream, in order. */
export class BlockHasher {
  private readonly whole = createHash("sha256");
  private block = createHash("sha256");
  private inBlock = 0;
  private readonly digests: Buffer[] = [];
  size = 0;

  update(chunk: Buffer): void {
    this.whole.update(chunk);
    this.size += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(BLOCK_SIZE - this.inBlock, chunk.length - off);
      this.block.update(chunk.subarray(off, off + take));
      this.inBlock += take;
      off += take;
      if (this.inBlock === BLOCK_SIZE) {
        this.digests.push(this.block.digest());
        this.block = createHash("sha256");
        this.inBlock = 0;
      }
    }
  }

  /** The whole stream's sha256 (hex) and the blocks' digests, concatenated. */
  finish(): { sha256: string; blocks: Buffer } {
    if (this.inBlock > 0) this.digests.push(this.block.digest());
    return { sha256: this.whole.digest("hex"), blocks: Buffer.concat(this.digests) };
  }
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export class FileStore {
  private readonly tmp: string;
  /** Digests whose block digests were taken from bytes that hashed right. */
  private readonly verified = new Map<string, { size: number; blocks: Buffer }>();
  private blockBytes = 0;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {
    this.tmp = join(dir, "tmp");
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
    this.removeOrphans();
  }

  path(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new PyprovError("INTERNAL", "not a sha256 digest");
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Size of the cached file, or undefined when it is not cached. */
  size(sha256: string): number | undefined {
    const known = this.verified.get(sha256);
    if (known) return known.size;
    try {
      return statSync(this.path(sha256)).size;
    } catch {
      return undefined;
    }
  }

  /**
   * Put the file into the cache through `download` (which writes into the
   * sink it is given and resolves with the sha256 it hashed). One download
   * per digest at a time; concurrent callers share it. Rejects with Tampered
   * when the bytes are not those of `sha256` (nothing is kept), or with the
   * download's error.
   */
  fill(sha256: string, download: (sink: DownloadSink) => Promise<unknown>): Promise<void> {
    let p = this.inFlight.get(sha256);
    if (!p) {
      p = this.download(sha256, download).finally(() => this.inFlight.delete(sha256));
      this.inFlight.set(sha256, p);
    }
    return p;
  }

  private async download(
    sha256: string,
    download: (sink: DownloadSink) => Promise<unknown>,
  ): Promise<void> {
    const final = this.path(sha256);
    const part = join(this.tmp, `${process.pid}-${randomBytes(8).toString("hex")}.part`);
    const fd = openSync(part, "w", 0o600);
    let hasher = new BlockHasher();
    let pos = 0;
    let closed = false;
    const close = (): void => {
      if (!closed) closeSync(fd);
      closed = true;
    };
    try {
      await download({
        restart: () => {
          ftruncateSync(fd, 0);
          pos = 0;
          hasher = new BlockHasher();
        },
        write: (chunk) => {
          hasher.update(chunk);
          let off = 0;
          while (off < chunk.length) {
            off += writeSync(fd, chunk, off, chunk.length - off, pos + off);
          }
          pos += chunk.length;
        },
      });
      const { sha256: got, blocks } = hasher.finish();
      if (got !== sha256) {
        throw new Tampered(
          "upstream",
          `upstream bytes have sha256 ${got}, the verified page listed ${sha256}`,
        );
      }
      // No fsync: a file cut short by a crash fails the full re-hash that
      // every file from an earlier process gets before its first read.
      close();
      mkdirSync(join(this.dir, sha256.slice(0, 2)), { recursive: true, mode: 0o700 });
      renameSync(part, final);
      this.remember(sha256, hasher.size, blocks);
    } finally {
      close();
      rmSync(part, { force: true });
    }
  }

  /**
   * Make sure the cached file's block digests are known, hashing it once if
   * they are not (e.g. cached by an earlier run). Tampered when its bytes are
   * not those of the digest (the file is dropped). Returns its size, or
   * undefined when it is not cached.
   */
  async check(sha256: string): Promise<number | undefined> {
    const known = this.touch(sha256);
    if (known) return known.size;
    let fh;
    try {
      fh = await open(this.path(sha256), "r");
    } catch {
      return undefined;
    }
    const hasher = new BlockHasher();
    try {
      const buf = Buffer.allocUnsafe(BLOCK_SIZE);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, BLOCK_SIZE, null);
        if (bytesRead === 0) break;
        hasher.update(buf.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
    const { sha256: got, blocks } = hasher.finish();
    if (got !== sha256) {
      this.drop(sha256);
      throw new Tampered("cache", `the cached file has sha256 ${got}, not ${sha256}; dropped`);
    }
    this.remember(sha256, hasher.size, blocks);
    return hasher.size;
  }

  /**
   * Read a checked file's bytes in `range`, block by block: each block is
   * hashed and compared before any of its bytes reach `write`. On a
   * mismatch the file is dropped and Tampered is thrown (what was written
   * before is a strict prefix of the verified bytes). `write` returns false
   * resolves once the chunk is handed on: its buffer is reused for the next block.
   */
  async read(
    sha256: string,
    range: ByteRange,
    write: (chunk: Buffer) => Promise<void>,
    aborted: () => boolean,
  ): Promise<number> {
    const known = this.touch(sha256);
    if (!known) throw new PyprovError("INTERNAL", `${sha256} was not checked before reading`);
    const fh = await open(this.path(sha256), "r");
    let sent = 0;
    try {
      const buf = Buffer.allocUnsafe(BLOCK_SIZE);
      const first = Math.floor(range.start / BLOCK_SIZE);
      const last = Math.floor(range.end / BLOCK_SIZE);
      for (let b = first; b <= last && !aborted(); b++) {
        const at = b * BLOCK_SIZE;
        const len = Math.min(BLOCK_SIZE, known.size - at);
        let got = 0;
        while (got < len) {
          const { bytesRead } = await fh.read(buf, got, len - got, at + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        const digest = createHash("sha256").update(buf.subarray(0, got)).digest();
        if (got !== len || !digest.equals(known.blocks.subarray(b * 32, b * 32 + 32))) {
          this.drop(sha256);
          throw new Tampered(
            "cache",
            `the cached file changed at bytes ${at}-${at + len - 1} since it was verified; dropped`,
          );
        }
        const from = Math.max(range.start, at) - at;
        const to = Math.min(range.end, at + len - 1) - at + 1;
        sent += to - from;
        await write(buf.subarray(from, to));
      }
    } finally {
      await fh.close();
    }
    return sent;
  }

  /** Forget and delete a cached file. */
  drop(sha256: string): void {
    const known = this.verified.get(sha256);
    if (known) this.blockBytes -= known.blocks.length;
    this.verified.delete(sha256);
    rmSync(this.path(sha256), { force: true });
  }

  private touch(sha256: string): { size: number; blocks: Buffer } | undefined {
    const known = this.verified.get(sha256);
    if (known) {
      // Most recently used last: eviction takes the oldest.
      this.verified.delete(sha256);
      this.verified.set(sha256, known);
    }
    return known;
  }

  private remember(sha256: string, size: number, blocks: Buffer): void {
    const old = this.verified.get(sha256);
    if (old) this.blockBytes -= old.blocks.length;
    this.verified.set(sha256, { size, blocks });
    this.blockBytes += blocks.length;
    for (const [key, v] of this.verified) {
      if (this.blockBytes <= MAX_BLOCK_DIGEST_BYTES || key === sha256) break;
      this.verified.delete(key); // re-hashed in full on its next read
      this.blockBytes -= v.blocks.length;
    }
  }

  /** Partial downloads left by a process that no longer runs. */
  private removeOrphans(): void {
    for (const name of readdirSync(this.tmp)) {
      const pid = Number(/^(\d+)-[0-9a-f]+\.part$/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
      rmSync(join(this.tmp, name), { force: true });
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The one byte range of a Range header (RFC 9110 §14.1.2) within `size`
 * bytes: undefined when there is none or it asks for several ranges (the
 * whole file is sent), "unsatisfiable" for a range that lies outside.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== "" && Number(b) < start)) return "unsatisfiable";
  return { start, end };
}
