/**
 * Which rule applies to a package (exact name beats glob, most specific glob
 * wins, ties go to the first with a warning, defaults fill the gaps), and
 * which exceptions apply at a given instant.
 */
import { describe, expect, it } from "vitest";
import { exceptionsFor, resolveRule } from "../../src/policy/match.js";
import { policyFrom } from "./helpers.js";

const policy = policyFrom(`version: 1
default:
  require_attestation: true
  min_slsa_level: 2
  publishers:
    - kind: google
      email: default@x.iam.gserviceaccount.com
packages:
  "acme-*":
    min_slsa_level: 1
  "acme-lib-*":
    min_slsa_level: 3
  acme-lib-core:
    require_attestation: false
  "*-plugin":
    publishers: []
  "acme-?lugin":
    min_slsa_level: 0
  "*-tool":
    min_slsa_level: 1
  "acme-*l":
    min_slsa_level: 2
exceptions:
  - package: legacy-lib
    reason: no trusted publishing yet
    expires: 2027-03-31
  - package: "old-*"
    reason: retiring
    expires: 2020-01-01
    waive: [publishers]
`);

describe("resolveRule", () => {
  it("an exact name beats every glob (and is compared after normalisation)", () => {
    for (const name of ["acme-lib-core", "Acme_Lib.Core", "ACME-LIB-CORE"]) {
      const r = resolveRule(policy, name);
      expect(r.package).toBe("acme-lib-core");
      expect(r.describe).toBe("acme-lib-core");
      expect(r.rule.require_attestation).toBe(false);
      // Fields the rule leaves out come from default.
      expect(r.rule.min_slsa_level).toBe(2);
      expect(r.rule.publishers).toEqual([
        { kind: "google", email: "default@x.iam.gserviceaccount.com" },
      ]);
    }
  });

  it("the glob with the most literal characters wins", () => {
    expect(resolveRule(policy, "acme-lib-extra").describe).toBe("acme-lib-* (glob)");
    expect(resolveRule(policy, "acme-lib-extra").rule.min_slsa_level).toBe(3);
    expect(resolveRule(policy, "acme-web").describe).toBe("acme-* (glob)");
    expect(resolveRule(policy, "acme-web").rule.min_slsa_level).toBe(1);
    // "acme-?lugin" (10 literal characters) beats "*-plugin" (7).
    expect(resolveRule(policy, "acme-plugin").describe).toBe("acme-?lugin (glob)");
    expect(resolveRule(policy, "other-plugin").describe).toBe("*-plugin (glob)");
  });

  it("a rule's empty publishers list replaces the default's (any verified publisher)", () => {
    expect(resolveRule(policy, "other-plugin").rule.publishers).toEqual([]);
  });

  it("equally specific globs: the first in the file applies, with a warning", () => {
    // "acme-*l" (6) and "acme-*" (5) both match acme-tool; "*-tool" has 5.
    const r = resolveRule(policy, "acme-tool");
    expect(r.describe).toBe("acme-*l (glob)");
    expect(r.ambiguity).toBeUndefined();
    const tie = policyFrom(`version: 1
packages:
  "a-*":
    min_slsa_level: 1
  "*-b":
    min_slsa_level: 3
`);
    const t = resolveRule(tie, "a-b");
    expect(t.describe).toBe("a-* (glob)");
    expect(t.rule.min_slsa_level).toBe(1);
    expect(t.ambiguity).toContain('equally specific globs "a-*" and "*-b"');
  });

  it("no key matches: default", () => {
    const r = resolveRule(policy, "requests");
    expect(r.entry).toBeUndefined();
    expect(r.describe).toBe("default");
    expect(r.rule).toEqual({
      require_attestation: true,
      min_slsa_level: 2,
      publishers: [{ kind: "google", email: "default@x.iam.gserviceaccount.com" }],
    });
  });

  it("a glob does not match a different name", () => {
    expect(resolveRule(policy, "acmelib").describe).toBe("default");
  });
});

describe("exceptionsFor", () => {
  it("applies through the whole expiry day (UTC) and not a moment after", () => {
    const last = new Date("2027-03-31T23:59:59.999Z");
    const after = new Date("2027-04-01T00:00:00.000Z");
    expect(exceptionsFor(policy, "legacy-lib", last).active.map((e) => e.package)).toEqual([
      "legacy-lib",
    ]);
    const s = exceptionsFor(policy, "Legacy_Lib", after);
    expect(s.active).toEqual([]);
    expect(s.expired.map((e) => e.package)).toEqual(["legacy-lib"]);
  });

  it("matches globs, and only the packages it names", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(exceptionsFor(policy, "old-thing", now).expired.map((e) => e.reason)).toEqual([
      "retiring",
    ]);
    expect(exceptionsFor(policy, "new-thing", now)).toEqual({ active: [], expired: [] });
  });
});
