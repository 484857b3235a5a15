/**
 * `verify --installed` on an environment of 100 distributions against a slow
 * index: 100 real wheels (20 modules each, RECORD with sha256 rows) built by
 * Python, attested by the test Sigstore and served by the synthetic index
 * with 30 ms added to every request; the same wheels unpacked into a
 * site-packages folder as an installer leaves them (installed RECORD,
 * INSTALLER). The CLI (bin/pyprov.js) runs as a child, cold (fresh cache)
 * and warm (verdict inputs and wheel RECORDs cached); and the disk hashing
 * alone (observeFiles) is timed over a 256 MiB file set.
 *
 * Targets: cold ≤ 5000 ms, warm ≤ 1000 ms; hashing at disk speed.
 * Environment: BENCH_INSTALLED (default 100), BENCH_LATENCY_MS (default 30).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { observeFiles } from "../src/installed/disk.js";
import {
  PUBLISHER_IDENTITY,
  SyntheticIndex,
  provenanceBody,
  sha256Hex,
} from "../test/support/synthetic-index.js";

const COUNT = Number(process.env.BENCH_INSTALLED ?? 100);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 30);
const BIN = join("bin", "pyprov.js");

const BUILD = `
import base64, hashlib, os, sys, zipfile
count, wheels, site = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(site, exist_ok=True)
def b64(d): return base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()
for i in range(count):
    name = f"benchinst{i}"
    di = f"{name}-1.0.dist-info"
    files = {f"{name}/mod{j}.py": (f"# module {j}\\n" + "x = 1\\n" * 600).encode() for j in range(20)}
    files[f"{name}/__init__.py"] = b""
    files[di + "/METADATA"] = f"Metadata-Version: 2.1\\nName: {name}\\nVersion: 1.0\\n".encode()
    files[di + "/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: bench\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    rows = [f"{p},sha256={b64(d)},{len(d)}" for p, d in files.items()] + [di + "/RECORD,,"]
    with zipfile.ZipFile(os.path.join(wheels, f"{name}-1.0-py3-none-any.whl"), "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files.items(): z.writestr(p, d)
        z.writestr(di + "/RECORD", "\\n".join(rows) + "\\n")
    for p, d in files.items():
        os.makedirs(os.path.dirname(os.path.join(site, p)), exist_ok=True)
        open(os.path.join(site, p), "wb").write(d)
    open(os.path.join(site, di, "INSTALLER"), "w").write("pip\\n")
    rows = rows[:-1] + [di + "/INSTALLER,sha256=" + b64(b"pip\\n") + ",4", di + "/RECORD,,"]
    open(os.path.join(site, di, "RECORD"), "w").write("\\n".join(rows) + "\\n")
`;

function runCli(args: string[]): Promise<{ ms: number; exit: number; verified: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = +(performance.now() - start).toFixed(0);
      let doc: { results: { verdict: string }[] };
      try {
        doc = JSON.parse(out) as { results: { verdict: string }[] };
      } catch {
        reject(new Error(`no JSON report (exit ${code}): ${err}`));
        return;
      }
      const verified = doc.results.filter((r) => r.verdict === "verified").length;
      resolve({ ms, exit: code ?? -1, verified });
    });
  });
}

async function hashingSpeed(dir: string): Promise<{ mb: number; ms: number; mbPerS: number }> {
  const files: string[] = [];
  const block = Buffer.alloc(16 * 1024 * 1024, 7);
  for (let i = 0; i < 16; i++) {
    writeFileSync(join(dir, `blob${i}.bin`), block);
    files.push(`blob${i}.bin`);
  }
  const start = performance.now();
  await observeFiles(dir, files);
  const ms = performance.now() - start;
  const mb = (16 * block.length) / 1e6;
  return { mb: +mb.toFixed(0), ms: +ms.toFixed(0), mbPerS: +(mb / (ms / 1000)).toFixed(0) };
}

async function main(): Promise<void> {
  const si = new SyntheticIndex({ index: { latencyMs: LATENCY_MS } });
  try {
    const wheels = si.subdir();
    const site = join(si.subdir(), "site-packages");
    const built = spawnSync("python3", ["-c", BUILD, String(COUNT), wheels, site], {
      encoding: "utf8",
    });
    if (built.status !== 0) throw new Error(`building wheels failed: ${built.stderr}`);
    for (let i = 0; i < COUNT; i++) {
      const project = `benchinst${i}`;
      const filename = `${project}-1.0-py3-none-any.whl`;
      const body = readFileSync(join(wheels, filename));
      const sha256 = sha256Hex(body);
      const provenance = provenanceBody(si.ss, filename, sha256);
      si.put({
        name: project,
        files: [
          {
            project,
            version: "1.0",
            kind: "wheel",
            filename,
            body,
            sha256,
            provenance,
            identity: PUBLISHER_IDENTITY,
            fake: { filename, body, provenance, version: "1.0" },
          },
        ],
      });
    }
    await si.start();
    const cache = si.freshCacheDir();
    const args = [
      "verify",
      "--installed",
      site,
      "--index-url",
      si.indexUrl,
      "--trusted-root",
      si.root,
      "--cache-dir",
      cache,
      "--format",
      "json",
      ...(process.env.BENCH_INSTALLED_ARGS ?? "").split(" ").filter((a) => a !== ""),
    ];
    const cold = await runCli(args);
    const warm = await runCli(args);
    const hashing = await hashingSpeed(si.subdir());
    console.log(
      JSON.stringify({
        distributions: COUNT,
        latencyMs: LATENCY_MS,
        cold,
        warm,
        hashing,
        targets: "cold ≤ 5000 ms, warm ≤ 1000 ms, hashing at disk speed",
      }),
    );
  } finally {
    await si.close();
  }
}

await main();
