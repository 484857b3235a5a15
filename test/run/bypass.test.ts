import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { readInputText } from "../../src/inputs/parse-common.js";
import {
  installerOf,
  MAX_SCANNED_FILES,
  scanArguments,
  scanCommand,
  type Bypass,
} from "../../src/run/bypass.js";

/** Files in memory, by absolute path; cwd is /w. */
function memory(files: Record<string, string>, env: Record<string, string> = {}) {
  const read: string[] = [];
  return {
    read,
    opts: {
      cwd: "/w",
      env,
      readFile: (path: string): string => {
        read.push(path);
        const text = files[path];
        if (text === undefined) throw new PyprovError("INPUT_UNREADABLE", "no such file");
        return text;
      },
    },
  };
}

const pipArgs = (...args: string[]): Bypass[] => scanArguments("pip", args).bypasses;
const uvArgs = (...args: string[]): Bypass[] => scanArguments("uv", args).bypasses;
const whats = (b: Bypass[]): string[] => b.map((x) => x.what);

describe("which commands are installers", () => {
  it.each([
    [["pip", "install", "x"], "pip", ["install", "x"]],
    [["pip3", "install"], "pip", ["install"]],
    [["pip3.12", "install"], "pip", ["install"]],
    [["/venv/bin/pip", "download"], "pip", ["download"]],
    [["python3", "-m", "pip", "install", "x"], "pip", ["install", "x"]],
    [["/venv/bin/python", "-I", "-m", "pip", "install"], "pip", ["install"]],
    [["python3.11", "-mpip", "install"], "pip", ["install"]],
    [["python", "-Im", "pip", "install"], "pip", ["install"]],
    [["python", "-W", "ignore", "-m", "pip", "install"], "pip", ["install"]],
    [["uv", "pip", "install", "x"], "uv", ["pip", "install", "x"]],
    [["/usr/local/bin/uv", "sync"], "uv", ["sync"]],
    [["uvx", "ruff"], "uv", ["tool", "run", "ruff"]],
  ])("%j is %s", (argv, installer, args) => {
    expect(installerOf(argv)).toEqual({ installer, args });
  });

  it.each([
    [["sh", "-c", "pip install -i http://x y"]],
    [["python3", "-c", "import pip"]],
    [["python3", "script.py", "-m", "pip"]],
    [["python3", "-m", "venv", "v"]],
    [["pipx", "install", "x"]],
    [["make", "install"]],
  ])("%j is not scanned as an installer", (argv) => {
    expect(installerOf(argv)).toBeUndefined();
    expect(scanCommand(argv, memory({}).opts).bypasses).toEqual([]);
  });
});

describe("bypassing options on the command line", () => {
  it.each([
    [["install", "-i", "https://x/simple", "y"], "-i (--index-url)"],
    [["install", "-ihttps://x/simple", "y"], "-i (--index-url)"],
    [["install", "-qi", "https://x/simple", "y"], "-i (--index-url)"],
    [["install", "--index-url", "https://x/simple", "y"], "--index-url"],
    [["install", "--index-url=https://x/simple", "y"], "--index-url"],
    [["install", "--index", "https://x/simple", "y"], "--index-url"],
    [["install", "--extra-index-url", "https://x/simple", "y"], "--extra-index-url"],
    [["install", "--extra=https://x/simple", "y"], "--extra-index-url"],
    [["install", "--find-links", "/opt/wheels", "y"], "--find-links"],
    [["install", "-f", "/opt/wheels", "y"], "-f (--find-links)"],
    [["install", "-f/opt/wheels", "y"], "-f (--find-links)"],
    [["install", "--no-index", "y"], "--no-index"],
  ])("pip %j: %s", (args, what) => {
    expect(whats(pipArgs(...args))).toEqual([what]);
    expect(pipArgs(...args)[0]?.where).toBe("the command line");
  });

  it("direct URL and VCS arguments are refused; their credentials are not repeated", () => {
    expect(whats(pipArgs("install", "https://user:secret@example.com/x-1.0.whl"))).toEqual([
      "a direct URL requirement (https://***@example.com/x-1.0.whl)",
    ]);
    expect(whats(pipArgs("install", "git+https://github.com/a/b"))).toHaveLength(1);
    expect(whats(pipArgs("install", "pkg @ https://example.com/pkg.tar.gz"))).toHaveLength(1);
    expect(whats(pipArgs("install", "pkg[extra]@https://example.com/pkg.tar.gz"))).toHaveLength(1);
    expect(whats(pipArgs("install", "-e", "git+https://github.com/a/b#egg=b"))).toEqual([
      "an editable URL requirement (-e git+https://github.com/a/b#egg=b)",
    ]);
  });

  it("ordinary installs, local paths and URL-valued options that are no package source pass", () => {
    expect(pipArgs("install", "--no-deps", "-t", "/tmp/t", "requests==2.0", "x>=1")).toEqual([]);
    expect(pipArgs("install", "--proxy", "http://proxy:3128", "y")).toEqual([]);
    expect(pipArgs("install", "--trusted-host=https://h", "y")).toEqual([]);
    expect(pipArgs("install", "--require-hashes", "--no-deps", "-e", ".", "./dist/x.whl")).toEqual(
      [],
    );
    expect(pipArgs("install", "--", "-i")).toEqual([]);
    expect(pipArgs("install", "--ignore-installed", "--isolated", "y")).toEqual([]);
  });

  it("uv: its own index options, full names only", () => {
    expect(whats(uvArgs("pip", "install", "--index", "https://x/simple", "y"))).toEqual([
      "--index",
    ]);
    expect(whats(uvArgs("sync", "--default-index=https://x/simple"))).toEqual(["--default-index"]);
    expect(whats(uvArgs("pip", "install", "-i", "https://x/simple", "y"))).toEqual([
      "-i (--index-url)",
    ]);
    expect(whats(uvArgs("add", "--extra-index-url", "https://x", "y"))).toEqual([
      "--extra-index-url",
    ]);
    expect(whats(uvArgs("sync", "--no-index"))).toEqual(["--no-index"]);
    expect(uvArgs("sync", "--locked", "--python", "3.12")).toEqual([]);
  });

  it("uv run / uv tool run / uvx: the command's own arguments are not uv's", () => {
    const scan = (...argv: string[]) => scanCommand(argv, memory({}).opts);
    expect(scan("uv", "run", "python", "-c", "print(1)", "-i", "x")).toEqual({
      bypasses: [],
      files: [],
      notScanned: [],
    });
    expect(
      scan("uv", "run", "--with", "requests", "-p", "3.12", "pytest", "-r", "a").files,
    ).toEqual([]);
    expect(
      whats(
        scan("uv", "run", "--with", "requests", "--index", "https://x/simple", "pytest").bypasses,
      ),
    ).toEqual(["--index"]);
    expect(scan("uvx", "--from", "httpie", "http", "-f", "x", "--index-url=y").bypasses).toEqual(
      [],
    );
    expect(whats(scan("uvx", "--index", "https://x/simple", "ruff", "check").bypasses)).toEqual([
      "--index",
    ]);
    expect(
      whats(scan("uv", "tool", "run", "--extra-index-url=https://x", "ruff").bypasses),
    ).toEqual(["--extra-index-url"]);
    // Not a run: every argument is uv's.
    expect(whats(scan("uv", "pip", "install", "ruff", "-i", "https://x/simple").bypasses)).toEqual([
      "-i (--index-url)",
    ]);
  });

  it("finds the requirements files in each spelling", () => {
    const files = (inst: "pip" | "uv", ...args: string[]) => scanArguments(inst, args).files;
    expect(files("pip", "install", "-r", "a.txt", "-rb.txt", "--requirement=c.txt")).toEqual([
      "a.txt",
      "b.txt",
      "c.txt",
    ]);
    expect(
      files("pip", "install", "--requirement", "d.txt", "-c", "e.txt", "--constraint=f"),
    ).toEqual(["d.txt", "e.txt", "f"]);
    expect(files("pip", "install", "-Ur", "g.txt", "--require-hashes", "--requirem", "h")).toEqual([
      "g.txt",
      "h",
    ]);
    expect(
      files("uv", "pip", "install", "--requirements", "a", "--constraints=b", "--overrides", "c"),
    ).toEqual(["a", "b", "c"]);
  });
});

describe("requirements files named on the command line", () => {
  it("refuses each way around the proxy at its file and line, includes relative to their file", () => {
    const m = memory(
      {
        "/w/requirements.txt": [
          "# --index-url https://comment.example/simple",
          "requests==2.32.3 \\",
          "    --hash=sha256:" + "a".repeat(64),
          "-r sub/more.txt",
          "--extra-index-url https://u:p@private.example/simple",
          "-c constraints.txt",
          "",
        ].join("\n"),
        "/w/sub/more.txt": [
          "-i https://other.example/simple",
          "--find-links=./wheels",
          "-f /opt/wheels",
          "--no-index",
          "-r deeper.txt",
        ].join("\n"),
        "/w/sub/deeper.txt": [
          "pkg @ https://example.com/pkg-1.0.tar.gz",
          "git+https://github.com/a/b@v1#egg=b",
          "./local/project",
          "/abs/dist/x-1.0-py3-none-any.whl",
          "-e .",
          "-r https://example.com/remote.txt",
          "-r ../requirements.txt",
        ].join("\n"),
        "/w/constraints.txt": "--extra-index-url \\\n  https://c.example/simple\nidna<4\n",
      },
      {},
    );
    const r = scanCommand(["pip", "install", "-r", "requirements.txt"], m.opts);
    expect(r.bypasses.map((b) => `${b.where} ${b.what}`)).toEqual([
      "/w/sub/more.txt:1 -i (--index-url)",
      "/w/sub/more.txt:2 --find-links",
      "/w/sub/more.txt:3 -f (--find-links)",
      "/w/sub/more.txt:4 --no-index",
      "/w/sub/deeper.txt:1 a direct URL requirement (https://example.com/pkg-1.0.tar.gz)",
      "/w/sub/deeper.txt:2 a VCS requirement (git+https://github.com/a/b@v1#egg=b)",
      "/w/sub/deeper.txt:3 a local path requirement (./local/project)",
      "/w/sub/deeper.txt:4 a local path requirement (/abs/dist/x-1.0-py3-none-any.whl)",
      "/w/sub/deeper.txt:5 an editable requirement (-e .)",
      "/w/sub/deeper.txt:6 a remote include (https://example.com/remote.txt), which cannot be checked",
      "requirements.txt:5 --extra-index-url",
      "/w/constraints.txt:1 --extra-index-url",
    ]);
    // The include cycle back to requirements.txt is read once, and the commented-out line is no finding.
    expect(m.read).toEqual([
      "/w/requirements.txt",
      "/w/sub/more.txt",
      "/w/sub/deeper.txt",
      "/w/constraints.txt",
    ]);
    expect(r.files).toEqual([
      "requirements.txt",
      "/w/sub/more.txt",
      "/w/sub/deeper.txt",
      "/w/constraints.txt",
    ]);
  });

  it("an index option after a requirement on the same line is refused too", () => {
    const m = memory({ "/w/req.txt": "x==1 --extra-index-url https://x.example/simple\n" });
    expect(scanCommand(["pip", "install", "-r", "req.txt"], m.opts).bypasses).toEqual([
      { where: "req.txt:1", what: "--extra-index-url" },
    ]);
  });

  it("a clean pip-compile file passes", () => {
    const m = memory({
      "/w/req.txt": [
        "# via pip-compile",
        "certifi==2024.8.30 \\",
        "    --hash=sha256:" + "b".repeat(64) + " \\",
        "    --hash=sha256:" + "c".repeat(64),
        "    # via requests",
        "idna==3.10 ; python_version >= '3.8'",
        "--require-hashes",
        "--only-binary :all:",
        "--trusted-host example.com",
        "--pre",
      ].join("\n"),
    });
    const r = scanCommand(["python3", "-m", "pip", "install", "-r", "req.txt"], m.opts);
    expect(r.bypasses).toEqual([]);
    expect(r.files).toEqual(["req.txt"]);
  });

  it("${VAR} in an include and an option is expanded from the command's environment", () => {
    const m = memory(
      {
        "/w/req.txt": "-r ${SUB}/a.txt\n",
        "/w/dir/a.txt": "--index-url ${PRIVATE}\n",
      },
      { SUB: "dir", PRIVATE: "https://token@private.example/simple" },
    );
    const r = scanCommand(["pip", "install", "-rreq.txt"], m.opts);
    expect(r.bypasses).toEqual([{ where: "/w/dir/a.txt:1", what: "--index-url" }]);
  });

  it("a missing file, or a line pip would not accept, stops the run naming the file (and line)", () => {
    const missing = () => scanCommand(["pip", "install", "-r", "nope.txt"], memory({}).opts);
    expect(missing).toThrow(PyprovError);
    try {
      missing();
    } catch (err) {
      expect((err as PyprovError).code).toBe("INPUT_UNREADABLE");
      expect((err as PyprovError).oneLine()).toMatch(/^nope\.txt: no such file; pyprov run checks/);
    }
    const nested = memory({ "/w/a.txt": "x==1\n-r b.txt\n" });
    expect(() => scanCommand(["pip", "install", "-r", "a.txt"], nested.opts)).toThrow(
      /included from a\.txt:2/,
    );
    const bad = memory({ "/w/a.txt": "x==1\n--bogus-option\n" });
    try {
      scanCommand(["pip", "install", "-r", "a.txt"], bad.opts);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PyprovError);
      expect((err as PyprovError).code).toBe("INPUT_MALFORMED");
      expect((err as PyprovError).oneLine()).toBe("a.txt: line 2: unknown option --bogus-option");
    }
  });

  it("stops after MAX_SCANNED_FILES files", () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_SCANNED_FILES + 1; i++) files[`/w/f${i}.txt`] = `-r f${i + 1}.txt\n`;
    expect(() => scanCommand(["pip", "install", "-r", "f0.txt"], memory(files).opts)).toThrow(
      /more than 64 requirements files/,
    );
  });

  it("remote requirements files on the command line are refused; uv's project files are not read", () => {
    const m = memory({});
    const remote = scanCommand(["pip", "install", "-r", "https://example.com/r.txt"], m.opts);
    expect(whats(remote.bypasses)).toEqual([
      "a remote requirements file (https://example.com/r.txt), which cannot be checked",
    ]);
    const uv = scanCommand(
      ["uv", "pip", "install", "-r", "pyproject.toml", "-r", "pylock.toml"],
      m.opts,
    );
    expect(uv.notScanned).toEqual(["pyproject.toml"]);
    expect(whats(uv.bypasses)).toEqual([
      "a lock file (pylock.toml), whose files uv downloads from the URLs it names",
    ]);
    expect(m.read).toEqual([]);
  });

  it("reads real files from disk relative to the working directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "pyprov-bypass-"));
    try {
      writeFileSync(join(dir, "req.txt"), "-r sub.txt\nrfc8785==0.1.2\n");
      writeFileSync(join(dir, "sub.txt"), "--extra-index-url=https://x.example/simple\n");
      const r = scanCommand(["pip", "install", "-r", "req.txt"], {
        cwd: dir,
        env: {},
        readFile: readInputText,
      });
      expect(r.bypasses).toEqual([
        { where: `${join(dir, "sub.txt")}:1`, what: "--extra-index-url" },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
