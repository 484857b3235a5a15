/**
 * `pyprov run` as a process: the ways around the proxy it refuses before
 * the command starts (a stand-in pip records whether it ran), --allow-bypass,
 * and the usage errors.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { trustedRootPath } from "../support/corpus.js";
import { FakeIndex } from "../support/fake-index.js";
import { baseEnv, runBin as bin } from "./run-helpers.js";

let dir: string;
let index: FakeIndex;
let findLinks: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pyprov-run-refusals-"));
  findLinks = join(dir, "find-links");
  mkdirSync(findLinks);
  index = new FakeIndex({ projects: {} });
  await index.start();
});

afterAll(async () => {
  await index?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const runBin = (args: string[]) => bin(args, { env: baseEnv(dir), cwd: dir });

const proxyArgs = (): string[] => [
  "--upstream",
  index.indexUrl,
  "--trusted-root",
  trustedRootPath("production"),
  "--cache-dir",
  join(dir, "proxy-cache"),
];

describe("pyprov run: ways around the proxy are refused", () => {
  let fakePip: string;
  let marker: string;
  beforeAll(() => {
    // A stand-in for pip that only records that it ran: refusals must stop it.
    const bin = join(dir, "fakebin");
    mkdirSync(bin, { recursive: true });
    marker = join(dir, "fake-pip-ran");
    fakePip = join(bin, "pip");
    writeFileSync(fakePip, `#!/bin/sh\ntouch '${marker}'\nexit 0\n`);
    chmodSync(fakePip, 0o755);
  });

  const ran = (): boolean => {
    const was = existsSync(marker);
    rmSync(marker, { force: true });
    return was;
  };

  it("an --extra-index-url line in a nested requirements file: refused at file:line, the command not run", async () => {
    mkdirSync(join(dir, "reqs"), { recursive: true });
    writeFileSync(join(dir, "reqs", "requirements.txt"), "abi3info==2024.10.3\n-r more.txt\n");
    writeFileSync(
      join(dir, "reqs", "more.txt"),
      "# private packages\n--extra-index-url https://user:token@private.example/simple\n",
    );
    const r = await runBin([
      "run",
      ...proxyArgs(),
      "--",
      fakePip,
      "install",
      "-r",
      "reqs/requirements.txt",
    ]);
    expect(r.code).toBe(2);
    expect(ran()).toBe(false);
    expect(r.stderr).toBe(
      `pyprov: refusing to run the command: ${join(dir, "reqs", "more.txt")}:2: --extra-index-url would take files from outside the proxy (remove it, or pass --allow-bypass)\n`,
    );
    expect(r.stderr).not.toContain("token");
  });

  it("direct URL, VCS and local path lines are refused, each with its line", async () => {
    writeFileSync(
      join(dir, "direct.txt"),
      "abi3info\nx @ https://example.com/x-1.0.tar.gz\ngit+https://github.com/a/b#egg=b\n./vendor/pkg\n",
    );
    const r = await runBin(["run", ...proxyArgs(), "--", fakePip, "install", "-rdirect.txt"]);
    expect(r.code).toBe(2);
    expect(ran()).toBe(false);
    const lines = r.stderr.trimEnd().split("\n");
    expect(
      lines.map((l) => /^pyprov: refusing to run the command: (direct\.txt:\d+): /.exec(l)?.[1]),
    ).toEqual(["direct.txt:2", "direct.txt:3", "direct.txt:4"]);
  });

  it("bypassing flags on the command line are refused", async () => {
    for (const flags of [
      ["-i", "https://elsewhere.example/simple"],
      ["--index-url=https://elsewhere.example/simple"],
      ["--extra-index-url", "https://elsewhere.example/simple"],
      ["--find-links", findLinks],
    ]) {
      const r = await runBin([
        "run",
        ...proxyArgs(),
        "--",
        fakePip,
        "install",
        ...flags,
        "abi3info",
      ]);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.stderr).toMatch(
        /^pyprov: refusing to run the command: the command line: .+ \(remove it, or pass --allow-bypass\)\n$/,
      );
      expect(ran()).toBe(false);
    }
  });

  it("--allow-bypass runs the command anyway, with a warning for each", async () => {
    const r = await runBin([
      "run",
      ...proxyArgs(),
      "--allow-bypass",
      "--",
      fakePip,
      "install",
      "-r",
      "reqs/requirements.txt",
      "-i",
      "https://elsewhere.example/simple",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(ran()).toBe(true);
    expect(r.stderr).toContain(
      "pyprov run: warning: the command line: -i (--index-url) would take files from outside the proxy (allowed by --allow-bypass)\n",
    );
    expect(r.stderr).toContain(
      `pyprov run: warning: ${join(dir, "reqs", "more.txt")}:2: --extra-index-url would take files from outside the proxy (allowed by --allow-bypass)\n`,
    );
  });

  it("a requirements file that cannot be read stops the run with one line", async () => {
    const r = await runBin(["run", ...proxyArgs(), "--", fakePip, "install", "-r", "missing.txt"]);
    expect(r.code).toBe(2);
    expect(ran()).toBe(false);
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^pyprov: missing\.txt: .*checks every requirements file/);
  });
});

describe("pyprov run: usage errors (exit 2, one line)", () => {
  const usage = async (args: string[], message: RegExp): Promise<void> => {
    const r = await runCli(["run", ...args], { PATH: process.env.PATH });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it("a command without --, or with part of it before --", async () => {
    await usage(["sh", "-c", "exit 0"], /^pyprov: the command goes after --/);
    await usage(["pip", "--", "install", "x"], /^pyprov: the command goes after --/);
    await usage(
      ["--index-url", "https://x.example/simple", "--", "pip"],
      /^pyprov: unknown option --index-url; the command goes after --/,
    );
  });

  it("-- with nothing after it, or nothing at all", async () => {
    await usage(["--"], /^pyprov: no command after --/);
    await usage([], /^pyprov: the command goes after --/);
  });

  it("--format json without --output, --output without --format json", async () => {
    await usage(["--format", "json", "--", "true"], /--format json needs --output FILE/);
    await usage(["--output", join(dir, "x.json"), "--", "true"], /--output needs --format json/);
  });

  it("a non-loopback --host", async () => {
    await usage(["--host", "0.0.0.0", "--", "true"], /listens on loopback only/);
  });

  it("an --output that is an input of the run", async () => {
    const policy = join(dir, "policy-in.yaml");
    writeFileSync(policy, "version: 1\n");
    await usage(
      [...proxyArgs(), "--policy", policy, "--format", "json", "--output", policy, "--", "true"],
      /refusing to overwrite/,
    );
    expect(readFileSync(policy, "utf8")).toBe("version: 1\n");
  });
});
