/**
 * A node killed (SIGKILL) in the middle of a large download, on a shared
 * state store (the SQLite file, and a real PostgreSQL): the nodes are real
 * processes (bin/pyprov.js serve). The client's retry of the same file URL
 * on another node gets the exact bytes; the killed node's cache holds no
 * partial file that a node restarted on it would serve (its temporary file
 * is removed on start, the file is fetched and checked again); a node killed
 * while sending a cached file leaves a file that the next start re-hashes
 * before serving; and the decision log holds whole rows only, one per
 * completed download.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openState } from "../../src/state/open.js";
import { BIN } from "../support/cli.js";
import { SyntheticIndex, type SynthFile } from "../support/synthetic-index.js";
import { postgresBackend, sqliteBackend, type Backend } from "../state/backends.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const BIG = 16 * 1024 * 1024;

let synth: SyntheticIndex;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  synth = new SyntheticIndex({
    projects: {
      "kill-sqlite": [{ version: "1.0", files: [{ kind: "wheel", size: BIG }] }],
      "kill-postgres": [{ version: "1.0", files: [{ kind: "wheel", size: BIG }] }],
    },
  });
  await synth.start();
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await synth?.close();
});

interface Node {
  child: ChildProcess;
  url: string;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** `pyprov serve` as a process on `state`; resolves once it printed its URL. */
async function spawnNode(cacheDir: string, state: string, name: string): Promise<Node> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      ...["serve", "--port", "0", "--upstream", synth.indexUrl, "--trusted-root", synth.root],
      ...["--cache-dir", cacheDir, "--state", state, "--node-name", name],
    ],
    { env: { ...process.env, NO_COLOR: "1", PYPROV_STATE: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      resolve(signal ?? code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", () => reject(new Error(`${name} exited early: ${stderr}`)));
  });
  return { child, url, exited };
}

async function kill(n: Node): Promise<void> {
  n.child.kill("SIGKILL");
  expect(await n.exited).toBe("SIGKILL");
}

interface Answer {
  status: number;
  body: Buffer;
  complete: boolean;
}

/** GET; with `onFirst`, stop reading after the first chunk until the function it is given is called. */
function get(url: string, onFirst?: (resume: () => void) => void): Promise<Answer> {
  return new Promise((resolve) => {
    const agent = new http.Agent({ keepAlive: false });
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        if (onFirst && chunks.length === 1) {
          res.pause(); // a slow client: the node is still sending when it dies
          onFirst(() => res.resume());
        }
      });
      const done = (): void =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          complete: res.complete,
        });
      res.on("end", done);
      res.on("error", done);
      res.on("close", done);
    });
    req.on("error", () => resolve({ status: 0, body: Buffer.alloc(0), complete: false }));
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const parts = (cacheDir: string): string[] => {
  const tmp = join(cacheDir, "files", "v1", "tmp");
  return existsSync(tmp) ? readdirSync(tmp).filter((f) => f.endsWith(".part")) : [];
};

describe.each([sqliteBackend(), postgresBackend()])(
  "a node killed mid-download, on $name",
  (backend: Backend) => {
    beforeAll(() => backend.setup());
    afterAll(() => backend.teardown());

    it("the retry on another node gets the exact bytes; a restart serves no partial file; whole log rows only", async () => {
      const state = await backend.fresh();
      const project = `kill-${backend.name}`;
      const file = synth.release(project, "1.0")[0] as SynthFile;
      const cacheA = synth.freshCacheDir();
      const a = await spawnNode(cacheA, state, "node-a");
      const b = await spawnNode(synth.freshCacheDir(), state, "node-b");
      const doc = (await (
        await fetch(`${a.url}${project}/`, { headers: { accept: JSON_TYPE } })
      ).json()) as { files: { url: string }[] };
      const path = new URL(doc.files[0]?.url ?? "", a.url).pathname;

      // 1. Killed while the file comes from the upstream (slowly) into its cache.
      synth.index.fault(synth.filePath(file), {
        trickle: { everyMs: 5, bytes: 64 * 1024 },
        times: 1,
      });
      const cut = get(new URL(path, a.url).href);
      const part = (): string | undefined => parts(cacheA)[0];
      const tmp = join(cacheA, "files", "v1", "tmp");
      await until("a partial download", () => {
        const p = part();
        return p !== undefined && statSync(join(tmp, p)).size >= 1024 * 1024;
      });
      await kill(a);
      const lost = await cut;
      expect(lost.complete && lost.status === 200).toBe(false);
      expect(lost.body.length).toBe(0); // nothing is sent before the whole file hashed right
      expect(part()).toBeDefined(); // the partial file is left behind...
      const final = join(cacheA, "files", "v1", file.sha256.slice(0, 2), file.sha256);
      expect(existsSync(final)).toBe(false); // ...never under its digest

      // 2. The client retries the same URL on another node.
      const retry = await get(new URL(path, b.url).href);
      expect(retry.status).toBe(200);
      expect(retry.body.equals(file.body)).toBe(true);

      // 3. A node restarted on the killed node's cache: the partial file is gone, the file is right.
      const a2 = await spawnNode(cacheA, state, "node-a");
      expect(part()).toBeUndefined();
      const again = await get(new URL(path, a2.url).href);
      expect(again.status).toBe(200);
      expect(again.body.equals(file.body)).toBe(true);
      expect(readFileSync(final).equals(file.body)).toBe(true);

      // 4. Killed while sending the cached file to a slow client.
      let resume!: () => void;
      const first = new Promise<void>((r) => (resume = r));
      let reading!: () => void;
      const slow = get(new URL(path, a2.url).href, (go) => {
        reading = go;
        resume();
      });
      await first;
      await new Promise((r) => setTimeout(r, 200)); // the node waits for the client to read
      await kill(a2);
      reading(); // what the kernel held, then the end of a connection cut short
      const short = await slow;
      expect(short.status).toBe(200);
      expect(short.complete).toBe(false);
      expect(short.body.length).toBeLessThan(BIG);
      expect(file.body.subarray(0, short.body.length).equals(short.body)).toBe(true);
      const a3 = await spawnNode(cacheA, state, "node-a");
      const third = await get(new URL(path, a3.url).href);
      expect(third.status).toBe(200);
      expect(third.body.equals(file.body)).toBe(true);

      // The log: one whole row per completed download (parsed as it is read), none for the cut ones.
      const store = await openState(state, { migrate: false });
      try {
        const served = async () =>
          (await store.decisions({ project })).filter((r) => r.verdict === "served");
        await until("the served rows", async () => (await served()).length >= 3);
        await kill(a3);
        await kill(b);
        const rows = await served();
        expect(rows.map((r) => [r.node, r.filename, r.sha256])).toEqual([
          ["node-b", file.filename, file.sha256],
          ["node-a", file.filename, file.sha256],
          ["node-a", file.filename, file.sha256],
        ]);
        expect(new Set(rows.map((r) => r.id)).size).toBe(3);
      } finally {
        await store.close();
      }
      const journal = join(cacheA, "state", "journal-node-a.jsonl");
      expect(existsSync(journal) ? readFileSync(journal, "utf8") : "").toBe("");
    }, 90_000);
  },
);
