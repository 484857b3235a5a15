/**
 * Issue 12 ("close false accepts"), items 8 and 9, end to end against a
 * FakeIndex on 127.0.0.1:
 * - an index that trickles bytes hits --timeout (each request, connect to
 *   last byte), is retried, then is exit 2 NETWORK naming the URL; --deadline
 *   bounds the whole run; bad values are one-line usage errors;
 * - a page listing a file under a name its URL does not give (the name pip
 *   downloads it under) is INPUT_MALFORMED, never verified under the listed
 *   name; a NAME-only target is flagged unpinned.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN, runCli } from "../support/cli.js";
import { SyntheticIndex, verdicts, verifyJson } from "../support/synthetic-index.js";

const si = new SyntheticIndex({
  projects: {
    alpha: [{ version: "1.0.0", files: [{ kind: "wheel" }] }, { version: "1.1.0" }],
    // A genuine, attested 0.1 sdist, and a 99.0 the attacker wants installed.
    sampleproject: [{ version: "0.1", files: [{ kind: "sdist" }] }],
  },
});
const LISTED = "sampleproject-0.1.tar.gz";
const SERVED = "sampleproject-99.0.tar.gz";
const sample = si.file(LISTED);
const alpha = si.release("alpha", "1.0.0")[0]!;

beforeAll(async () => {
  await si.start();
});
afterAll(async () => {
  await si.close();
});
beforeEach(() => {
  si.index.resetCounts();
  si.index.clearFaults();
  si.index.format = "json";
  sample.fake.urlFilename = undefined;
  si.put(si.project("sampleproject"));
});

const common = (): string[] => [
  "--index-url",
  si.indexUrl,
  "--trusted-root",
  si.root,
  "--no-cache",
];
const TRICKLE = { trickle: { everyMs: 50 } };

describe("--timeout: every index request has a deadline", () => {
  it("a trickled page: 4 attempts, then exit 2 NETWORK naming the page URL", async () => {
    si.index.fault(si.pagePath("alpha"), TRICKLE);
    const t0 = performance.now();
    const r = await verifyJson(["alpha==1.0.0", ...common(), "--timeout", "0.3"]);
    const elapsed = performance.now() - t0;
    expect(r.code).toBe(2);
    expect(r.doc.results.map((x) => [x.verdict, x.error?.code])).toEqual([["error", "NETWORK"]]);
    const pageUrl = new URL(si.pagePath("alpha"), si.index.baseUrl).href;
    expect(r.doc.results[0]!.error?.message).toBe(
      `${pageUrl}: request deadline of 0.3 s hit (timeout) before the response was complete after 4 attempts`,
    );
    expect(si.index.count(si.pagePath("alpha"))).toBe(4);
    expect(si.provenanceRequests()).toBe(0);
    // 4 deadlines of 0.3 s plus the default backoff (at most 0.5 + 1 + 2 s).
    expect(elapsed).toBeGreaterThanOrEqual(4 * 300 - 10);
    expect(elapsed).toBeLessThan(4 * 300 + 3_500 + 1_500);
  }, 15_000);

  it("a trickled provenance URL: the same, naming that URL", async () => {
    si.index.fault(si.provenancePath(alpha), TRICKLE);
    const r = await verifyJson(["alpha==1.0.0", ...common(), "--timeout", "0.3"]);
    expect(r.code).toBe(2);
    expect(verdicts(r.doc.results)).toEqual([`${alpha.filename} error NETWORK`]);
    const url = new URL(si.provenancePath(alpha), si.index.baseUrl).href;
    expect(r.doc.results[0]!.error?.message).toMatch(
      new RegExp(`^${url}: request deadline of 0\\.3 s hit .* after 4 attempts$`),
    );
    expect(si.index.count(si.provenancePath(alpha))).toBe(4);
  }, 15_000);

  it("a trickle once is retried and the run verifies", async () => {
    si.index.fault(si.pagePath("alpha"), { ...TRICKLE, times: 1 });
    const r = await verifyJson(["alpha==1.0.0", ...common(), "--timeout", "0.3"]);
    expect(r.code, r.stderr).toBe(0);
    expect(si.index.count(si.pagePath("alpha"))).toBe(2);
  }, 15_000);

  it("--deadline bounds the whole run, whatever the retries", async () => {
    si.index.fault("*", TRICKLE);
    const t0 = performance.now();
    const r = await verifyJson([
      "alpha==1.0.0",
      ...common(),
      "--timeout",
      "0.3",
      "--deadline",
      "0.5",
    ]);
    expect(performance.now() - t0).toBeLessThan(500 + 1_500);
    expect(r.code).toBe(2);
    expect(r.doc.results[0]!.error?.code).toBe("NETWORK");
    expect(r.doc.results[0]!.error?.message).toContain(
      "the run's deadline of 0.5 s was hit (--deadline); request abandoned",
    );
  }, 15_000);

  it("the built CLI ends by itself against an index that trickles everything", async () => {
    si.index.fault("*", TRICKLE);
    const t0 = performance.now();
    const r = await spawnAsync([
      "verify",
      "alpha==1.0.0",
      "alpha==1.1.0",
      ...common(),
      "--timeout",
      "0.2",
      "--deadline",
      "1",
    ]);
    expect(performance.now() - t0).toBeLessThan(1_000 + 4_000);
    expect(r.code).toBe(2);
    const errors = r.stdout.split("\n").filter((l) => l.includes("error: "));
    expect(errors).toHaveLength(2);
    for (const line of errors) {
      expect(line).toMatch(
        /error: http:\/\/127\.0\.0\.1:\d+\/simple\/alpha\/: the run's deadline of 1 s was hit \(--deadline\); request abandoned after \d attempts \(before: request deadline of 0\.2 s hit/,
      );
    }
  }, 20_000);

  it("bad --timeout / --deadline values: one-line usage error, exit 2, nothing fetched", async () => {
    for (const [flag, value] of [
      ["--timeout", "0"],
      ["--timeout", "-1"],
      ["--timeout", "abc"],
      ["--timeout", "1e3"],
      ["--timeout", ""],
      ["--deadline", "0"],
      ["--deadline", "100000"],
    ] as const) {
      const r = await runCli(["verify", "alpha==1.0.0", ...common(), flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `pyprov: ${flag} must be a positive number of seconds (at most 86400), got "${value}"\n`,
      );
    }
    const init = await runCli(["policy", "init", "alpha", "--timeout", "soon", "-o", "-"]);
    expect(init.code).toBe(2);
    expect(init.stderr).toMatch(/^pyprov: --timeout must be a positive number of seconds/);
    expect(si.index.total).toBe(0);
  });
});

describe("the file name is the one pip downloads", () => {
  for (const format of ["json", "html"] as const) {
    it(`${format}: a file listed as ${LISTED} at a URL ending ${SERVED} is exit 2 INPUT_MALFORMED`, async () => {
      si.index.format = format;
      sample.fake.urlFilename = SERVED;
      si.put(si.project("sampleproject"));
      for (const target of ["sampleproject==0.1", "sampleproject", `pypi:${LISTED}`]) {
        const r = await verifyJson([target, ...common()]);
        expect(r.code, target).toBe(2);
        expect(r.doc.results.map((x) => [x.verdict, x.error?.code])).toEqual([
          ["error", "INPUT_MALFORMED"],
        ]);
        const message = r.doc.results[0]!.error!.message;
        expect(message).toContain(`the page lists "${LISTED}" but its URL`);
        expect(message).toContain(`/files/sampleproject/${SERVED} names "${SERVED}"`);
      }
      expect(si.provenanceRequests()).toBe(0);
      expect(si.downloads()).toBe(0);
    });
  }

  it("the same file at a URL that names it verifies", async () => {
    const r = await verifyJson(["sampleproject==0.1", ...common()]);
    expect(r.code, r.stderr).toBe(0);
    expect(verdicts(r.doc.results)).toEqual([`${LISTED} verified`]);
  });
});

describe("NAME-only targets are unpinned", () => {
  it("NAME carries the unpinned warning; NAME==VERSION does not", async () => {
    const loose = await verifyJson(["alpha", ...common()]);
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.doc.results.length).toBeGreaterThan(0);
    for (const res of loose.doc.results) {
      expect(res.warnings).toContain(
        "unpinned: no version given; verified the latest release (1.1.0) the index lists today",
      );
    }
    const pinned = await verifyJson(["alpha==1.1.0", ...common()]);
    expect(pinned.doc.results.every((x) => !x.warnings.some((w) => /unpinned/.test(w)))).toBe(true);
    const human = await runCli(["verify", "alpha", ...common()]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("warning: unpinned: no version given");
  });
});

/** The built binary (`npm run build`), run without blocking this process's fake index. */
function spawnAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
