import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import {
  DEFAULT_TRUSTED_ROOT_PATH,
  loadTrustedRoot,
  parseTrustedRoot,
} from "../../src/sigstore/trust-root.js";
import { REPO_ROOT, trustedRootPath } from "../support/corpus.js";

type Root = {
  tlogs: { publicKey: { validFor?: { start?: string; end?: string } } }[];
  ctlogs: { publicKey: { validFor?: { start?: string } } }[];
  certificateAuthorities: { validFor?: { start?: string } }[];
  timestampAuthorities: { validFor?: { start?: string } }[];
};

function rootJson(): Root {
  return JSON.parse(readFileSync(trustedRootPath("production"), "utf8")) as Root;
}

function rejects(root: unknown, match: RegExp): void {
  let err: unknown;
  try {
    parseTrustedRoot(Buffer.from(JSON.stringify(root)), "root.json");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PyprovError);
  expect((err as PyprovError).code).toBe("TRUST_ROOT_INVALID");
  expect((err as PyprovError).oneLine()).toMatch(match);
}

describe("trusted roots", () => {
  it("the bundled root is the production root and loads by default", () => {
    const loaded = loadTrustedRoot();
    expect(loaded.source).toBe(DEFAULT_TRUSTED_ROOT_PATH);
    expect(loaded.sha256).toBe(loadTrustedRoot(trustedRootPath("production")).sha256);
    expect(loaded.summary.tlogs).toEqual([
      "https://rekor.sigstore.dev",
      "https://log2025-1.rekor.sigstore.dev",
    ]);
    expect(loaded.material.certificateAuthorities.length).toBe(2);
  });

  it("is reproduced byte for byte from the installed @sigstore/tuf seed", () => {
    const out = execFileSync(
      process.execPath,
      [join(REPO_ROOT, "scripts", "update-trust-roots.mjs"), "--check"],
      {
        encoding: "utf8",
      },
    );
    expect(out).toContain("up to date");
    const prov = JSON.parse(
      readFileSync(join(REPO_ROOT, "trust-roots", "trusted_root.provenance.json"), "utf8"),
    ) as { sha256: string; source: string };
    expect(prov.source).toMatch(/^npm package @sigstore\/tuf@\d/);
    expect(loadTrustedRoot().sha256).toBe(prov.sha256);
  });

  it("rejects a tlog, CT log, CA or TSA without validFor.start (C1)", () => {
    const a = rootJson();
    delete a.tlogs[0]!.publicKey.validFor!.start;
    rejects(a, /tlogs entry https:\/\/rekor\.sigstore\.dev has no validFor\.start/);
    const b = rootJson();
    delete b.ctlogs[1]!.publicKey.validFor;
    rejects(b, /ctlogs entry .* has no validFor\.start/);
    const c = rootJson();
    delete c.certificateAuthorities[0]!.validFor;
    rejects(c, /certificateAuthorities entry .* has no validFor\.start/);
    const d = rootJson();
    delete d.timestampAuthorities[0]!.validFor!.start;
    rejects(d, /timestampAuthorities entry .* has no validFor\.start/);
  });

  it("rejects an end before the start, an empty root and a wrong media type", () => {
    const a = rootJson();
    a.tlogs[0]!.publicKey.validFor!.end = "2020-01-01T00:00:00Z";
    rejects(a, /validFor\.end before validFor\.start/);
    rejects(
      { mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" },
      /no transparency logs/,
    );
    rejects({ ...rootJson(), mediaType: "application/json" }, /media type/);
  });

  it("a missing file is TRUST_ROOT_MISSING, not a verdict", () => {
    expect(() => loadTrustedRoot("/nonexistent/trusted_root.json")).toThrow(
      expect.objectContaining({ code: "TRUST_ROOT_MISSING" }),
    );
  });
});
