/**
 * `verify --history` end to end (CLI in-process, FakeIndex on 127.0.0.1,
 * genuine attestations from the test Sigstore): a steady publisher, a change
 * of repository, a rename with the same IDs, a re-registered name with new
 * IDs, a downgrade, withheld provenance in the history, and the policy
 * settings that allow each.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { SyntheticIndex, pylockText } from "../support/synthetic-index.js";
import {
  ACME,
  addHistory,
  continuityOf,
  kinds,
  release,
  verifyHistory,
  type Publisher,
} from "./helpers.js";

const EVIL: Publisher = { repository: "evil/pkg", repositoryId: "222", ownerId: "888" };
const RENAMED: Publisher = { ...ACME, repository: "acme/pkg-ng" };
const SQUATTER: Publisher = { repository: "acme/pkg", repositoryId: "333", ownerId: "777" };

const si = new SyntheticIndex();
addHistory(si, "steady", [release("1.0", ACME), release("1.1", ACME), release("1.2", ACME)]);
addHistory(si, "moved", [release("1.0", ACME), release("1.1", ACME), release("1.2", EVIL)]);
addHistory(si, "renamed", [release("1.0", ACME), release("1.1", RENAMED)]);
addHistory(si, "squatted", [release("1.0", ACME), release("1.1", SQUATTER)]);
addHistory(si, "downgraded", [
  release("1.0", ACME),
  release("1.1", ACME),
  release("1.2", undefined),
]);
addHistory(si, "withheld", [
  release("1.0", ACME),
  release("1.1", ACME, "withheld"),
  release("1.2", ACME),
]);
addHistory(si, "never", [release("0.1", undefined), release("0.2", undefined)]);
addHistory(si, "envchange", [
  release("1.0", ACME),
  release("1.1", { ...ACME, environment: "pypi" }),
]);

let dir: string;
beforeAll(async () => {
  await si.start();
  dir = si.subdir();
});
afterAll(async () => {
  await si.close();
});

function policy(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// These projects are named unlike their repository (acme/pkg): only the history is under test here.
const H = ["--history", "--no-lookalike"];

describe("verify --history: the same publisher throughout", () => {
  it("passes, and reports every release of the window with its identity", async () => {
    const r = await verifyHistory(si, ["steady==1.2", ...H]);
    expect(r.code).toBe(0);
    const c = continuityOf(r);
    expect(c.package).toBe("steady");
    expect(c.order).toBe("upload-time");
    expect(c.releases.map((x) => `${x.version}:${x.status}:${x.current}`)).toEqual([
      "1.0:attested:false",
      "1.1:attested:false",
      "1.2:attested:true",
    ]);
    expect(c.releases[0]!.identities).toEqual([
      expect.objectContaining({ repository: "acme/pkg", repositoryId: "111", ownerId: "999" }),
    ]);
    expect(c.findings).toEqual([]);
    expect(c.results).toEqual([expect.objectContaining({ id: "continuity-history", ok: true })]);
    expect(r.doc.results.every((x) => x.warnings.length === 0)).toBe(true);
  });

  it("--history 1 looks at one previous release only", async () => {
    const r = await verifyHistory(si, ["steady==1.2", "--history", "1", "--no-lookalike"]);
    expect(continuityOf(r).releases.map((x) => x.version)).toEqual(["1.1", "1.2"]);
  });

  it("an HTML (PEP 503) index gives no upload times: releases in PEP 440 order", async () => {
    si.index.format = "html";
    try {
      const r = await verifyHistory(si, ["steady==1.2", ...H]);
      expect(r.code).toBe(0);
      const c = continuityOf(r);
      expect(c.order).toBe("pep440");
      expect(c.releases.map((x) => `${x.version}:${x.status}`)).toEqual([
        "1.0:attested",
        "1.1:attested",
        "1.2:attested",
      ]);
    } finally {
      si.index.format = "json";
    }
  });

  it("without --history nothing is compared and no history is fetched", async () => {
    si.index.resetCounts();
    const r = await verifyHistory(si, ["steady==1.2"]);
    expect(r.code).toBe(0);
    expect(r.doc.results.every((x) => !("continuity" in x))).toBe(true);
    for (const f of si.release("steady", "1.0"))
      expect(si.index.count(si.provenancePath(f))).toBe(0);
  });
});

describe("verify --history: a change of repository", () => {
  it("fails with PUBLISHER_CHANGED, naming both repositories", async () => {
    const r = await verifyHistory(si, ["moved==1.2", ...H]);
    expect(r.code).toBe(1);
    for (const x of r.doc.results) {
      expect(x.verdict).toBe("failed");
      expect(x.failure?.code).toBe("PUBLISHER_CHANGED");
      expect(x.failure?.message).toContain("publisher changed from 1.1 to 1.2");
      expect(x.failure?.message).toContain("repository acme/pkg → evil/pkg");
    }
    const c = continuityOf(r);
    expect(c.findings).toEqual([
      expect.objectContaining({
        kind: "publisher-changed",
        severity: "fail",
        from: "1.1",
        to: "1.2",
      }),
    ]);
    expect(c.results[0]).toMatchObject({
      id: "continuity-history",
      ok: false,
      code: "PUBLISHER_CHANGED",
    });
  });

  it("still fails one release later: the change stays in the window", async () => {
    addHistory(si, "moved-on", [release("1.0", ACME), release("1.1", EVIL), release("1.2", EVIL)]);
    const r = await verifyHistory(si, ["moved-on==1.2", ...H]);
    expect(r.code).toBe(1);
    expect(r.doc.results[0]!.failure?.code).toBe("PUBLISHER_CHANGED");
    // ...and passes once the change has left the window.
    expect(
      (await verifyHistory(si, ["moved-on==1.2", "--history", "1", "--no-lookalike"])).code,
    ).toBe(0);
  });

  it("passes with a warning when the policy allows the fields that changed", async () => {
    const p = policy(
      "allow.yaml",
      "version: 1\npackages:\n  moved:\n    continuity:\n      allow_changes: [repository, owner, repository_id, owner_id]\n",
    );
    const r = await verifyHistory(si, ["moved==1.2", ...H, "--policy", p]);
    expect(r.code).toBe(0);
    expect(kinds(continuityOf(r))).toEqual(["publisher-changed:warn"]);
    expect(r.doc.results[0]!.warnings.join("\n")).toContain("allowed by the policy");
  });

  it("allowing only some of the fields is not enough", async () => {
    const p = policy(
      "partial.yaml",
      "version: 1\ndefault:\n  continuity:\n    allow_changes: [repository]\n",
    );
    const r = await verifyHistory(si, ["moved==1.2", ...H, "--policy", p]);
    expect(r.code).toBe(1);
    expect(r.doc.results[0]!.failure?.code).toBe("PUBLISHER_CHANGED");
  });

  it("passes when the policy pins the new publisher by its IDs (a reviewed change)", async () => {
    const pinned = policy(
      "pinned.yaml",
      'version: 1\npackages:\n  moved:\n    publishers:\n      - kind: github\n        repository: evil/pkg\n        repository_id: "222"\n        owner_id: "888"\n',
    );
    const r = await verifyHistory(si, ["moved==1.2", ...H, "--policy", pinned]);
    expect(r.code).toBe(0);
    expect(r.doc.results[0]!.warnings.join("\n")).toContain(
      "accepted: the policy pins github evil/pkg",
    );
    // A pin by name only cannot accept a change: a re-registered name would match it too.
    const byName = policy(
      "byname.yaml",
      "version: 1\npackages:\n  moved:\n    publishers:\n      - kind: github\n        repository: evil/pkg\n",
    );
    const r2 = await verifyHistory(si, ["moved==1.2", ...H, "--policy", byName]);
    expect(r2.code).toBe(1);
    expect(r2.doc.results[0]!.failure?.code).toBe("PUBLISHER_CHANGED");
  });

  it("a new deployment environment is a publisher change too", async () => {
    const r = await verifyHistory(si, ["envchange==1.1", ...H]);
    expect(r.code).toBe(1);
    expect(r.doc.results[0]!.failure?.message).toContain("environment (none) → pypi");
  });
});

describe("verify --history: renamed and re-registered repositories", () => {
  it("the same IDs under a new name pass with a renamed warning", async () => {
    const r = await verifyHistory(si, ["renamed==1.1", ...H]);
    expect(r.code).toBe(0);
    expect(kinds(continuityOf(r))).toEqual(["renamed:warn"]);
    expect(r.doc.results[0]!.warnings).toEqual([
      expect.stringMatching(
        /^renamed: repository ID 111 published 1\.0 as acme\/pkg and 1\.1 as acme\/pkg-ng/,
      ),
    ]);
  });

  it("new IDs under the same name fail with REPOSITORY_REREGISTERED", async () => {
    const r = await verifyHistory(si, ["squatted==1.1", ...H]);
    expect(r.code).toBe(1);
    const x = r.doc.results[0]!;
    expect(x.failure?.code).toBe("REPOSITORY_REREGISTERED");
    expect(x.failure?.message).toContain("possible repojacking");
    expect(x.failure?.message).toContain("repository ID 111");
    expect(x.failure?.message).toContain("repository ID 333");
  });
});

describe("verify --history: downgrades", () => {
  it("a release without provenance after attested ones fails, even with --allow-missing", async () => {
    const r = await verifyHistory(si, ["downgraded==1.2", ...H, "--allow-missing"]);
    expect(r.code).toBe(1);
    for (const x of r.doc.results) {
      expect(x.verdict).toBe("failed");
      expect(x.failure?.code).toBe("ATTESTATION_DOWNGRADE");
      expect(x.failure?.message).toContain("1.1, published before it, was attested");
    }
    // Without --history it is merely missing, which --allow-missing allows.
    expect((await verifyHistory(si, ["downgraded==1.2", "--allow-missing"])).code).toBe(0);
  });

  it("the policy can allow it (allow_downgrade), leaving require_attestation to decide", async () => {
    const p = policy(
      "downgrade.yaml",
      "version: 1\npackages:\n  downgraded:\n    require_attestation: false\n    continuity:\n      allow_downgrade: true\n",
    );
    const r = await verifyHistory(si, ["downgraded==1.2", ...H, "--policy", p]);
    expect(r.code).toBe(0);
    expect(kinds(continuityOf(r))).toEqual(["downgrade:warn"]);
  });

  it("a project that never had provenance is not a downgrade", async () => {
    const r = await verifyHistory(si, ["never==0.2", ...H, "--allow-missing"]);
    expect(r.code).toBe(0);
    expect(continuityOf(r).findings).toEqual([]);
  });

  it("a withheld (403) release in the history is unknown, never a downgrade", async () => {
    const r = await verifyHistory(si, ["withheld==1.2", ...H]);
    expect(r.code).toBe(0);
    const c = continuityOf(r);
    expect(c.releases.map((x) => `${x.version}:${x.status}`)).toEqual([
      "1.0:attested",
      "1.1:unknown",
      "1.2:attested",
    ]);
    expect(c.releases[1]!.files.map((f) => f.status)).toEqual(["withheld", "withheld"]);
    expect(kinds(c)).toEqual(["unknown:warn"]);
    expect(r.doc.results[0]!.warnings.join("\n")).toContain("HTTP 403");
  });

  it("a withheld release being verified has no verdict (exit 2), not ATTESTATION_DOWNGRADE", async () => {
    const r = await verifyHistory(si, ["withheld==1.1", ...H]);
    expect(r.code).toBe(2);
    for (const x of r.doc.results) {
      expect(x.verdict).toBe("error");
      expect(x.error?.code).toBe("PROVENANCE_WITHHELD");
    }
  });
});

describe("verify --history: lockfile and local targets", () => {
  it("a lock's packages are compared with their previous releases too", async () => {
    const lock = pylockText(si.indexUrl, [
      si.lockPackage("moved", "1.2"),
      si.lockPackage("steady", "1.2"),
    ]);
    const path = join(si.subdir(), "pylock.toml");
    writeFileSync(path, lock.text);
    const r = await verifyHistory(si, ["--lock", path, ...H]);
    expect(r.code).toBe(1);
    const codes = r.doc.results.map((x) => `${x.target.filename}:${x.failure?.code ?? x.verdict}`);
    expect(codes.sort()).toEqual([
      "moved-1.2-py3-none-any.whl:PUBLISHER_CHANGED",
      "moved-1.2.tar.gz:PUBLISHER_CHANGED",
      "steady-1.2-py3-none-any.whl:verified",
      "steady-1.2.tar.gz:verified",
    ]);
    expect(r.doc.results.map((x, i) => continuityOf(r, i).releases.length)).toEqual([3, 3, 3, 3]);
  });

  it("no index page for the history: no verdict (exit 2), never a pass", async () => {
    const lock = pylockText(si.indexUrl, [si.lockPackage("steady", "1.2")]);
    const path = join(si.subdir(), "pylock.toml");
    writeFileSync(path, lock.text);
    const cache = ["--cache-dir", si.freshCacheDir()];
    // A first run caches the provenance: the next one needs the page only for the history.
    expect((await verifyHistory(si, ["--lock", path], cache)).code).toBe(0);
    si.index.fault(si.pagePath("steady"), { status: 404, body: "Not Found" });
    try {
      const r = await verifyHistory(si, ["--lock", path, ...H], cache);
      expect(r.code).toBe(2);
      for (const x of r.doc.results) {
        expect(x.verdict).toBe("error");
        expect(x.error?.message).toMatch(
          /^publisher continuity not checked: project "steady" not found/,
        );
      }
    } finally {
      si.index.clearFaults();
    }
  });

  it("a local file has no index page: not compared, and the run says so once", async () => {
    const f = si.release("steady", "1.2").find((x) => x.kind === "sdist")!;
    const d = si.subdir();
    writeFileSync(join(d, f.filename), f.body);
    writeFileSync(join(d, `${f.filename}.provenance`), f.provenance as Buffer);
    const r = await verifyHistory(si, [join(d, f.filename), ...H]);
    expect(r.code).toBe(0);
    expect(r.doc.results[0]).not.toHaveProperty("continuity");
    expect(r.stderr).toContain(
      "--history compares the releases of index packages only: 1 local file(s)",
    );
  });
});

describe("verify --history: usage", () => {
  it("rejects a value that is not a number, and --offline", async () => {
    const args = ["--index-url", si.indexUrl, "--trusted-root", si.root, "--no-cache"];
    const bad = await runCli(["verify", "--history", "steady==1.2", ...args]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--history takes a number of previous releases");
    const off = await runCli(["verify", "steady==1.2", "--history", "--offline", ...args]);
    expect(off.code).toBe(2);
    expect(off.stderr).toContain("cannot run with --offline");
  });
});
