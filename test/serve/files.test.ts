import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BLOCK_SIZE, BlockHasher, FileStore, Tampered, parseRange } from "../../src/serve/files.js";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "pyprov-files-"));
  dirs.push(d);
  return d;
}

function store(): FileStore {
  return new FileStore(scratch());
}

/** A download that writes `body` in uneven chunks, after `failures` aborted attempts. */
function source(body: Buffer, failures = 0) {
  let attempt = 0;
  return async (sink: { restart(): void; write(c: Buffer): void }): Promise<void> => {
    for (;;) {
      sink.restart();
      attempt++;
      const upTo = attempt <= failures ? Math.floor(body.length / 2) : body.length;
      for (let off = 0; off < upTo; off += 70_001) {
        sink.write(body.subarray(off, Math.min(upTo, off + 70_001)));
      }
      if (attempt > failures) return;
    }
  };
}

async function readAll(fs: FileStore, digest: string, start: number, end: number) {
  const chunks: Buffer[] = [];
  const sent = await fs.read(
    digest,
    { start, end },
    async (c) => void chunks.push(Buffer.from(c)),
    () => false,
  );
  return { sent, body: Buffer.concat(chunks) };
}

describe("FileStore", () => {
  const body = randomBytes(BLOCK_SIZE * 3 + 12_345);
  const digest = sha(body);

  it("keeps a download whose bytes hash to the digest, and reads back exact ranges", async () => {
    const fs = store();
    await fs.fill(digest, source(body, 1)); // a retried attempt restarts the file
    expect(await fs.check(digest)).toBe(body.length);
    expect(readFileSync(fs.path(digest)).equals(body)).toBe(true);
    const whole = await readAll(fs, digest, 0, body.length - 1);
    expect(whole.body.equals(body)).toBe(true);
    const mid = await readAll(fs, digest, BLOCK_SIZE - 10, BLOCK_SIZE * 2 + 10);
    expect(mid.body.equals(body.subarray(BLOCK_SIZE - 10, BLOCK_SIZE * 2 + 11))).toBe(true);
    expect(readdirSync(join(fs.dir, "tmp"))).toEqual([]);
  });

  it("refuses bytes that hash to another digest: Tampered, nothing kept", async () => {
    const fs = store();
    const other = Buffer.from(body);
    other.writeUInt8(other.readUInt8(body.length - 1) ^ 1, body.length - 1);
    await expect(fs.fill(digest, source(other))).rejects.toBeInstanceOf(Tampered);
    expect(existsSync(fs.path(digest))).toBe(false);
    expect(await fs.check(digest)).toBeUndefined();
    expect(readdirSync(join(fs.dir, "tmp"))).toEqual([]);
  });

  it("concurrent fills of one digest share one download", async () => {
    const fs = store();
    let calls = 0;
    const dl = source(body);
    await Promise.all(
      [1, 2, 3].map(() =>
        fs.fill(digest, async (sink) => {
          calls++;
          await dl(sink);
        }),
      ),
    );
    expect(calls).toBe(1);
  });

  it("an edited cache file is caught before the edited block is sent; only a verified prefix goes out", async () => {
    const fs = store();
    await fs.fill(digest, source(body));
    await fs.check(digest);
    const edited = Buffer.from(body);
    edited.writeUInt8(edited.readUInt8(BLOCK_SIZE * 2 + 5) ^ 0xff, BLOCK_SIZE * 2 + 5);
    writeFileSync(fs.path(digest), edited);
    const chunks: Buffer[] = [];
    await expect(
      fs.read(
        digest,
        { start: 0, end: body.length - 1 },
        async (c) => void chunks.push(Buffer.from(c)),
        () => false,
      ),
    ).rejects.toBeInstanceOf(Tampered);
    const sent = Buffer.concat(chunks);
    expect(sent.length).toBe(BLOCK_SIZE * 2);
    expect(sent.equals(body.subarray(0, BLOCK_SIZE * 2))).toBe(true);
    expect(existsSync(fs.path(digest))).toBe(false); // dropped
  });

  it("a file cached by an earlier process is hashed in full on first use; a changed one is dropped", async () => {
    const dir = scratch();
    const first = new FileStore(dir);
    await first.fill(digest, source(body));
    const edited = Buffer.from(body);
    edited.writeUInt8(edited.readUInt8(7) ^ 1, 7);
    writeFileSync(first.path(digest), edited);
    const second = new FileStore(dir);
    await expect(second.check(digest)).rejects.toBeInstanceOf(Tampered);
    expect(existsSync(second.path(digest))).toBe(false);
  });

  it("removes partial downloads of processes that no longer run, keeps its own and live ones", () => {
    const dir = scratch();
    new FileStore(dir);
    const dead = join(dir, "tmp", "999999999-00aa.part");
    const live = join(dir, "tmp", `${process.pid}-00bb.part`);
    writeFileSync(dead, "x");
    writeFileSync(live, "x");
    new FileStore(dir);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});

describe("BlockHasher", () => {
  it("gives the whole digest and one digest per block, whatever the chunking", () => {
    const body = randomBytes(BLOCK_SIZE * 2 + 1);
    const a = new BlockHasher();
    a.update(body);
    const b = new BlockHasher();
    for (let i = 0; i < body.length; i += 1000) b.update(body.subarray(i, i + 1000));
    const ra = a.finish();
    const rb = b.finish();
    expect(ra.sha256).toBe(sha(body));
    expect(rb).toEqual(ra);
    expect(ra.blocks.length).toBe(3 * 32);
    expect(ra.blocks.subarray(64).toString("hex")).toBe(sha(body.subarray(BLOCK_SIZE * 2)));
  });
});

describe("parseRange", () => {
  it.each([
    ["bytes=0-99", { start: 0, end: 99 }],
    ["bytes=100-", { start: 100, end: 999 }],
    ["bytes=-100", { start: 900, end: 999 }],
    ["bytes=-5000", { start: 0, end: 999 }],
    ["bytes=990-5000", { start: 990, end: 999 }],
    ["bytes=1000-", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    ["bytes=0-1,5-6", undefined],
    ["items=0-1", undefined],
    ["bytes=5-3", "unsatisfiable"],
  ])("%s of 1000 bytes", (h, want) => {
    expect(parseRange(h, 1000)).toEqual(want);
  });
});
