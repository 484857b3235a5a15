/**
 * Classifying identity changes by the immutable IDs, and comparing a window
 * of releases: renames and transfers warn, re-registrations and publisher
 * changes fail unless the policy allows them, downgrades fail only for the
 * release being verified, yanked and unknown releases are skipped.
 */
import { describe, expect, it } from "vitest";
import { compareWindow, type HistoryRules, type WindowRelease } from "../../src/history/compare.js";
import { classifyChange, identityFromClaims } from "../../src/history/identity.js";
import type { HistoryRelease, ReleaseIdentity } from "../../src/history/types.js";
import { githubClaims } from "../policy/helpers.js";

function gh(
  repository: string,
  repositoryId: string,
  ownerId: string,
  extra: Partial<ReleaseIdentity> = {},
): ReleaseIdentity {
  return {
    kind: "github",
    issuer: "https://token.actions.githubusercontent.com",
    repository,
    owner: repository.split("/")[0],
    repositoryId,
    ownerId,
    workflow: ".github/workflows/release.yml",
    environment: undefined,
    identity: undefined,
    ...extra,
  };
}

describe("classifyChange", () => {
  const base = gh("acme/pkg", "1", "10");

  it("the same identity is no change", () => {
    expect(classifyChange(base, { ...base })).toEqual([]);
  });

  it("same repository ID, new name, same owner ID: renamed", () => {
    expect(classifyChange(base, gh("acme/pkg-ng", "1", "10"))).toEqual([
      { kind: "renamed", fields: ["repository"] },
    ]);
    // The owner (organisation) renamed: still the same account ID.
    expect(classifyChange(base, gh("acme-corp/pkg", "1", "10"))).toEqual([
      { kind: "renamed", fields: ["repository", "owner"] },
    ]);
  });

  it("same repository ID, new owner ID: transferred (even to a namesake account)", () => {
    expect(classifyChange(base, gh("newco/pkg", "1", "20"))).toEqual([
      { kind: "transferred", fields: ["repository", "owner", "owner_id"] },
    ]);
    expect(classifyChange(base, gh("acme/pkg", "1", "20"))).toEqual([
      { kind: "transferred", fields: ["owner_id"] },
    ]);
  });

  it("same name, new repository ID: re-registered", () => {
    expect(classifyChange(base, gh("acme/pkg", "2", "30"))).toEqual([
      { kind: "reregistered", fields: ["repository_id", "owner_id"] },
    ]);
  });

  it("same owner name, new owner ID, another repository: the owner name was re-registered", () => {
    expect(classifyChange(base, gh("acme/other", "2", "30"))[0]!.kind).toBe("reregistered");
  });

  it("another repository altogether: a publisher change", () => {
    expect(classifyChange(base, gh("evil/pkg", "2", "30"))).toEqual([
      {
        kind: "publisher-changed",
        fields: ["repository", "owner", "repository_id", "owner_id"],
      },
    ]);
  });

  it("a new workflow or environment is a publisher change, on top of a rename", () => {
    const moved = gh("acme/pkg-ng", "1", "10", {
      workflow: ".github/workflows/publish.yml",
      environment: "pypi",
    });
    expect(classifyChange(base, moved)).toEqual([
      { kind: "renamed", fields: ["repository"] },
      { kind: "publisher-changed", fields: ["workflow", "environment"] },
    ]);
  });

  it("another platform or another e-mail is a publisher change", () => {
    const google = identityFromClaims(
      { issuer: "https://accounts.google.com", issuerV1: "https://accounts.google.com" },
      "a@p.iam.gserviceaccount.com",
    );
    expect(classifyChange(base, google)[0]!.kind).toBe("publisher-changed");
    const other = { ...google, identity: "b@p.iam.gserviceaccount.com" };
    expect(classifyChange(google, other)).toEqual([
      { kind: "publisher-changed", fields: ["identity"] },
    ]);
  });

  it("reads the identity from certificate claims (the SAN's ref is not part of it)", () => {
    const a = identityFromClaims(
      githubClaims({ repository: "acme/pkg", ref: "refs/tags/v1" }),
      "x@v1",
    );
    const b = identityFromClaims(
      githubClaims({ repository: "acme/pkg", ref: "refs/tags/v2" }),
      "x@v2",
    );
    expect(a).toMatchObject({
      repository: "acme/pkg",
      owner: "acme",
      workflow: ".github/workflows/release.yml",
    });
    expect(classifyChange(a, b)).toEqual([]);
  });
});

const RULES: HistoryRules = { allowChanges: [], allowDowngrade: false };

function rel(
  version: string,
  status: HistoryRelease["status"],
  ids: ReleaseIdentity[],
  extra: Partial<HistoryRelease> = {},
): WindowRelease {
  return {
    release: {
      version,
      uploadTime: null,
      yanked: false,
      current: false,
      status,
      identities: ids,
      files: [],
      ...extra,
    },
    observed: ids.map((identity) => ({ identity, claims: {}, san: undefined })),
  };
}

const A = gh("acme/pkg", "1", "10");
const B = gh("evil/pkg", "2", "30");
const summary = (w: WindowRelease[], rules = RULES) =>
  compareWindow(w, rules).findings.map(
    (f) => `${f.kind}:${f.severity}:${f.from ?? ""}>${f.to ?? ""}`,
  );

describe("compareWindow", () => {
  it("a change anywhere in the window fails; a yanked release is skipped", () => {
    expect(
      summary([
        rel("1", "attested", [A]),
        rel("2", "attested", [B]),
        rel("3", "attested", [B], { current: true }),
      ]),
    ).toEqual(["publisher-changed:fail:1>2"]);
    expect(
      summary([
        rel("1", "attested", [A]),
        rel("2", "attested", [B], { yanked: true }),
        rel("3", "attested", [A], { current: true }),
      ]),
    ).toEqual([]);
  });

  it("allow_changes and a pin by IDs turn a failure into a warning", () => {
    const w = [rel("1", "attested", [A]), rel("2", "attested", [B], { current: true })];
    expect(
      summary(w, { ...RULES, allowChanges: ["repository", "owner", "repository_id", "owner_id"] }),
    ).toEqual(["publisher-changed:warn:1>2"]);
    const pinned = compareWindow(w, { ...RULES, pinnedBy: () => "github evil/pkg" }).findings[0]!;
    expect(pinned.severity).toBe("warn");
    expect(pinned.message).toContain("accepted: the policy pins github evil/pkg");
  });

  it("a downgrade fails only for the release being verified; history downgrades warn", () => {
    const out = compareWindow(
      [
        rel("1", "attested", [A]),
        rel("2", "unattested", []),
        rel("3", "attested", [A]),
        rel("4", "unattested", [], { current: true }),
      ],
      RULES,
    );
    expect(out.findings.map((f) => `${f.kind}:${f.severity}:${f.to}`)).toEqual([
      "downgrade:warn:2",
      "downgrade:fail:4",
    ]);
    expect(out.downgrade?.code).toBe("ATTESTATION_DOWNGRADE");
    expect(out.downgrade?.from).toBe("3");
  });

  it("files without provenance beside attested ones in the verified release are a downgrade", () => {
    const out = compareWindow([rel("1", "partial", [A], { current: true })], RULES);
    expect(out.downgrade?.severity).toBe("fail");
    expect(out.downgrade?.message).toContain("other files of the release are attested");
  });

  it("an unknown (withheld) release is skipped, not a downgrade, and comparison continues across it", () => {
    expect(
      summary([
        rel("1", "attested", [A]),
        rel("2", "unknown", []),
        rel("3", "attested", [B], { current: true }),
      ]),
    ).toEqual(["unknown:warn:>2", "publisher-changed:fail:1>3"]);
  });

  it("allow_downgrade makes the downgrade a warning", () => {
    const out = compareWindow(
      [rel("1", "attested", [A]), rel("2", "unattested", [], { current: true })],
      { ...RULES, allowDowngrade: true },
    );
    expect(out.downgrade).toMatchObject({ severity: "warn" });
    expect(out.downgrade?.code).toBeUndefined();
  });

  it("a release signed by two identities is reported", () => {
    expect(summary([rel("1", "attested", [A, B], { current: true })])).toEqual([
      "mixed-identities:warn:>1",
    ]);
  });
});
