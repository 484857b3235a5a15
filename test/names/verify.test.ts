/**
 * Look-alike signals in `verify --history` (end to end through the CLI,
 * with a small popular list stored by `pyprov names update` from a local
 * server): a name close to a popular project's, a new project, a repository
 * unrelated to the package; warnings by default, failures with
 * `continuity.lookalike: error`, nothing with --no-lookalike.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { SyntheticIndex } from "../support/synthetic-index.js";
import { addHistory, continuityOf, kinds, release, verifyHistory } from "../history/helpers.js";
import { dataset, startListServer, type ListServer } from "./server.js";

const si = new SyntheticIndex();
const own = (name: string) => ({ repository: `acme/${name}`, repositoryId: "5", ownerId: "6" });
for (const name of ["reqeusts", "requests-python", "rnatplotlib", "fresh", "sigstore-tools"]) {
  addHistory(si, name, [release("1.0", own(name))], name === "fresh" ? 2 : 100);
}
// A package published from a repository named after something else.
addHistory(si, "alpha", [
  release("1.0", { repository: "acme/pkg", repositoryId: "5", ownerId: "6" }),
]);

let server: ListServer;
let cache: string;
let dir: string;
beforeAll(async () => {
  await si.start();
  server = await startListServer(dataset(["requests", "matplotlib", "numpy", "sigstore"]));
  cache = si.freshCacheDir();
  dir = si.subdir();
  const r = await runCli(["names", "update", "--url", server.url, "--cache-dir", cache]);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await si.close();
  await server.close();
});

const verify = (args: string[], c = cache) =>
  verifyHistory(si, [...args, "--history", "0"], ["--cache-dir", c]);

function policy(text: string): string {
  const path = join(dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe("look-alike names (warnings)", () => {
  it("reqeusts: a transposition of requests", async () => {
    const r = await verify(["reqeusts==1.0"]);
    expect(r.code).toBe(0);
    expect(kinds(continuityOf(r))).toEqual(["lookalike-name:warn"]);
    expect(r.doc.results[0]!.warnings).toContain(
      'look-alike name: "reqeusts" looks like the popular project "requests" (#1): 1 edit away; check that you meant this project',
    );
    expect(continuityOf(r).results).toContainEqual(
      expect.objectContaining({ id: "continuity-names", ok: true }),
    );
  });

  it("requests-python: a popular name with a suffix; rnatplotlib: rn for m", async () => {
    const a = await verify(["requests-python==1.0"]);
    expect(a.doc.results[0]!.warnings.join("\n")).toContain('the same name with "-python" added');
    const b = await verify(["rnatplotlib==1.0"]);
    expect(b.doc.results[0]!.warnings.join("\n")).toContain(
      '"rnatplotlib" looks like the popular project "matplotlib" (#2): the same name with look-alike characters',
    );
  });

  it("a related name that is not a look-alike gives nothing", async () => {
    const r = await verify(["sigstore-tools==1.0"]);
    expect(r.code).toBe(0);
    expect(continuityOf(r).findings).toEqual([]);
  });

  it("a project first uploaded 2 days ago is new", async () => {
    const r = await verify(["fresh==1.0"]);
    expect(r.code).toBe(0);
    expect(kinds(continuityOf(r))).toEqual(["new-project:warn"]);
    expect(r.doc.results[0]!.warnings.join("\n")).toMatch(
      /new project: fresh was first uploaded on \d{4}-\d\d-\d\d \(2 day\(s\) ago, less than 30\)/,
    );
    const off = await verify([
      "fresh==1.0",
      "--policy",
      policy("version: 1\ndefault:\n  continuity:\n    min_project_age_days: 0\n"),
    ]);
    expect(continuityOf(off).findings).toEqual([]);
  });

  it("a repository whose name has nothing to do with the package", async () => {
    const r = await verify(["alpha==1.0"]);
    expect(r.code).toBe(0);
    expect(kinds(continuityOf(r))).toEqual(["unrelated-repository:warn"]);
    expect(r.doc.results[0]!.warnings).toContain(
      "unrelated repository: alpha is published from acme/pkg, whose name has nothing in common with the package's",
    );
  });
});

describe("look-alike names: the policy decides", () => {
  it("lookalike: error fails each signal with its own code", async () => {
    const p = policy("version: 1\ndefault:\n  continuity:\n    lookalike: error\n");
    const cases: [string, string][] = [
      ["reqeusts==1.0", "LOOKALIKE_NAME"],
      ["fresh==1.0", "NEW_PROJECT"],
      ["alpha==1.0", "UNRELATED_REPOSITORY"],
    ];
    for (const [target, code] of cases) {
      const r = await verify([target, "--policy", p]);
      expect(r.code, target).toBe(1);
      expect(
        r.doc.results.every((x) => x.verdict === "failed" && x.failure?.code === code),
        target,
      ).toBe(true);
    }
  });

  it("lookalike: off for one package, and --no-lookalike for the run, check nothing", async () => {
    const p = policy("version: 1\npackages:\n  reqeusts:\n    continuity:\n      lookalike: off\n");
    const r = await verify(["reqeusts==1.0", "--policy", p]);
    expect(continuityOf(r).findings).toEqual([]);
    expect(continuityOf(r).results.map((x) => x.id)).toEqual(["continuity-history"]);
    const q = await verify(["reqeusts==1.0", "alpha==1.0", "--no-lookalike"]);
    expect(q.doc.results.every((x) => x.warnings.length === 0)).toBe(true);
  });

  it("without a cached list: one note on stderr, the other signals still checked, exit 0", async () => {
    const r = await verify(["reqeusts==1.0", "alpha==1.0"], si.freshCacheDir());
    expect(r.code).toBe(0);
    const notes = r.stderr.split("\n").filter((l) => l.includes("popular-project list"));
    expect(notes).toHaveLength(1);
    expect(kinds(continuityOf(r, 0))).toEqual([]);
    expect(kinds(continuityOf(r, 2))).toEqual(["unrelated-repository:warn"]);
  });
});
