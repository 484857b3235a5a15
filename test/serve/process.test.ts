import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { startServe, type RunningServe } from "../../src/serve/server.js";
import { BIN, spawnCli } from "../support/cli.js";
import {
  PUBLISHER_IDENTITY,
  SyntheticIndex,
  makeFile,
  provenanceBody,
  sha256Hex,
  type SynthFile,
} from "../support/synthetic-index.js";

let synth: SyntheticIndex;

beforeAll(async () => {
  synth = new SyntheticIndex({ projects: { demo: [{ version: "1.0" }] } });
  await synth.start();
});

afterAll(async () => {
  await synth?.close();
});

describe("pyprov serve as a process", () => {
  it("bin/pyprov.js serve --port 0 prints the index URL first, serves, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        "serve",
        "--port",
        "0",
        "--upstream",
        synth.indexUrl,
        "--trusted-root",
        synth.root,
        "--cache-dir",
        join(synth.dir, "cache-bin"),
      ],
      { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout });
        rl.once("line", resolve);
        child.once("exit", () => reject(new Error(`exited early: ${stderr}`)));
      });
      expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simple\/$/);
      expect(first).not.toMatch(/:8750\//);
      const res = await fetch(`${first}demo/`, {
        headers: { accept: "application/vnd.pypi.simple.v1+json" },
      });
      const doc = (await res.json()) as { files: { filename: string }[] };
      expect(doc.files.map((f) => f.filename).sort()).toEqual(
        synth
          .release("demo", "1.0")
          .map((f) => f.filename)
          .sort(),
      );
      expect(stderr).toContain(first);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("a non-loopback --host prints a warning that there is no authentication", async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        "serve",
        "--port",
        "0",
        "--host",
        "0.0.0.0",
        "--upstream",
        synth.indexUrl,
        "--trusted-root",
        synth.root,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    await new Promise<void>((resolve) =>
      createInterface({ input: child.stdout }).once("line", () => resolve()),
    );
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stderr).toContain("no authentication");
  });
});

/** A minimal valid wheel (pip reads its metadata), built with Python's zipfile. */
function buildWheel(dir: string, name: string, version: string): Buffer {
  const filename = `${name}-${version}-py3-none-any.whl`;
  const script = `
import sys, zipfile
name, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
di = f"{name}-{version}.dist-info"
with zipfile.ZipFile(out, "w") as z:
    z.writestr(f"{name}/__init__.py", "")
    z.writestr(f"{di}/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
    z.writestr(f"{di}/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr(f"{di}/RECORD", "")
`;
  const out = join(dir, filename);
  const r = spawnSync("python3", ["-c", script, name, version, out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building a wheel failed: ${r.stderr}`);
  return readFileSync(out);
}

describe("pip through pyprov serve", () => {
  let serve: RunningServe | undefined;
  afterAll(async () => {
    await serve?.close();
  });

  it("pip download fetches the verified wheel and never the unattested newer release", async () => {
    const pip = spawnSync("python3", ["-m", "pip", "--version"], { encoding: "utf8" });
    if (pip.status !== 0) {
      throw new Error(
        `python3 with pip is needed for this test (Debian: apt-get install python3-pip python3-venv): ${pip.stderr || pip.error?.message}`,
      );
    }
    const work = mkdtempSync(join(synth.dir, "pip-"));
    const body = buildWheel(work, "pipdemo", "1.0");
    const sha256 = sha256Hex(body);
    const filename = "pipdemo-1.0-py3-none-any.whl";
    const prov = provenanceBody(synth.ss, filename, sha256);
    const wheel: SynthFile = {
      project: "pipdemo",
      version: "1.0",
      kind: "wheel",
      filename,
      body,
      sha256,
      provenance: prov,
      identity: PUBLISHER_IDENTITY,
      fake: { filename, body, provenance: prov, version: "1.0" },
    };
    // A newer release without provenance: pip would pick it if the proxy listed it.
    const newer = makeFile(synth.ss, "pipdemo", "2.0", { kind: "sdist", provenance: "none" });
    synth.put({ name: "pipdemo", files: [wheel, newer] });
    serve = await startServe({
      upstream: synth.indexUrl,
      port: 0,
      cacheDir: join(work, "cache"),
      trustRoot: loadTrustedRoot(synth.root),
    });
    const dest = join(work, "dl");
    // Asynchronous: the proxy runs in this process and must keep answering.
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        "python3",
        [
          "-m",
          "pip",
          "download",
          "--no-deps",
          "--no-cache-dir",
          "--disable-pip-version-check",
          "--index-url",
          serve?.url ?? "",
          "-d",
          dest,
          "pipdemo",
        ],
        {
          env: { ...process.env, PIP_CONFIG_FILE: "/dev/null", PIP_NO_INPUT: "1" },
          stdio: ["ignore", "ignore", "pipe"],
          timeout: 60_000,
        },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (status) => resolve({ status, stderr }));
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dest)).toEqual([filename]);
    expect(readFileSync(join(dest, filename)).equals(body)).toBe(true);
  }, 90_000);
});

describe("pip install through pyprov serve", () => {
  let serve: RunningServe | undefined;
  afterAll(async () => {
    await serve?.close();
  });

  /** A real wheel served with its provenance and its PEP 658 metadata. */
  function realWheel(
    work: string,
    name: string,
    version: string,
    extra: Partial<SynthFile["fake"]> = {},
  ): SynthFile {
    const body = buildWheel(work, name, version);
    const sha256 = sha256Hex(body);
    const filename = `${name}-${version}-py3-none-any.whl`;
    const prov = provenanceBody(synth.ss, filename, sha256);
    const metadata = Buffer.from(`Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
    return {
      project: name,
      version,
      kind: "wheel",
      filename,
      body,
      sha256,
      provenance: prov,
      identity: PUBLISHER_IDENTITY,
      fake: { filename, body, provenance: prov, version, metadata, ...extra },
    };
  }

  it("installs the verified wheel, skipping yanked and requires-python-excluded releases, using PEP 658 metadata", async () => {
    const work = mkdtempSync(join(synth.dir, "pipinst-"));
    const files = [
      realWheel(work, "pipinst", "1.0"),
      realWheel(work, "pipinst", "2.0", { yanked: "broken" }),
      realWheel(work, "pipinst", "3.0", { requiresPython: ">=99" }),
    ];
    synth.put({ name: "pipinst", files });
    serve = await startServe({
      upstream: synth.indexUrl,
      port: 0,
      cacheDir: join(work, "cache"),
      trustRoot: loadTrustedRoot(synth.root),
    });
    const target = join(work, "target");
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        "python3",
        [
          "-m",
          "pip",
          "install",
          "--no-deps",
          "--no-cache-dir",
          "--disable-pip-version-check",
          "--no-compile",
          "--target",
          target,
          "--index-url",
          serve?.url ?? "",
          "pipinst",
        ],
        {
          env: { ...process.env, PIP_CONFIG_FILE: "/dev/null", PIP_NO_INPUT: "1" },
          stdio: ["ignore", "ignore", "pipe"],
          timeout: 60_000,
        },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (status) => resolve({ status, stderr }));
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(target).sort()).toEqual(["pipinst", "pipinst-1.0.dist-info"]);
    const metrics = await (await fetch(new URL("/-/metrics", serve.url))).text();
    // pip read the release's metadata from the proxy (PEP 658), then downloaded the wheel once.
    expect(metrics).toMatch(/pyprov_serve_requests_total\{route="metadata",status="200"\} [1-9]/);
    expect(metrics).toMatch(/pyprov_serve_requests_total\{route="file",status="200"\} 1\n/);
  }, 90_000);
});

describe("pyprov serve --state", () => {
  it("an unreachable state store at start is exit 2 with one line, no password, nothing listening", () => {
    const r = spawnCli([
      "serve",
      "--port",
      "0",
      "--upstream",
      synth.indexUrl,
      "--trusted-root",
      synth.root,
      "--cache-dir",
      join(synth.dir, "cache-state"),
      "--state",
      "postgres://pyprov:S3cretPw@127.0.0.1:1/pyprov",
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/cannot open the state store/);
    expect(r.stderr).not.toContain("S3cretPw");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an unknown state URL scheme is a usage error", () => {
    const r = spawnCli([
      "serve",
      "--port",
      "0",
      "--trusted-root",
      synth.root,
      "--state",
      "redis://x",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("by default the decision log is SQLite in the cache directory: pyprov decisions reads it", async () => {
    const cache = join(synth.dir, "cache-sqlite");
    const child = spawn(
      process.execPath,
      [
        BIN,
        "serve",
        "--port",
        "0",
        "--upstream",
        synth.indexUrl,
        "--trusted-root",
        synth.root,
        "--cache-dir",
        cache,
      ],
      {
        env: { ...process.env, NO_COLOR: "1", PYPROV_STATE: "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    try {
      const url = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout }).once("line", resolve),
      );
      const doc = (await (
        await fetch(`${url}demo/`, { headers: { accept: "application/vnd.pypi.simple.v1+json" } })
      ).json()) as { files: { url: string }[] };
      await (await fetch(new URL(doc.files[0]?.url ?? "", url))).arrayBuffer();
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    const r = spawnCli([
      "decisions",
      "--state",
      `sqlite:${join(cache, "state", "pyprov.db")}`,
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { verdict: string; project: string }[];
    expect(rows.map((x) => [x.project, x.verdict])).toEqual([["demo", "served"]]);
  });
});
