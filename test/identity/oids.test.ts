import { describe, expect, it } from "vitest";
import {
  FULCIO_MAX_KNOWN_ARC,
  FULCIO_OIDS,
  describeOid,
  fulcioOid,
  fulcioOidInfo,
  isUnderFulcioArc,
  oidForClaim,
} from "../../src/identity/oids.js";

describe("Fulcio OID table", () => {
  it("lists .1 to .24 in order, with full OIDs", () => {
    expect(FULCIO_OIDS.map((o) => o.arc)).toStrictEqual(
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    expect(FULCIO_MAX_KNOWN_ARC).toBe(24);
    for (const o of FULCIO_OIDS) expect(o.oid).toBe(`1.3.6.1.4.1.57264.1.${o.arc}`);
  });

  it("gives .1-.6 raw UTF-8, .7 the SAN otherName and .8-.24 DER UTF8String", () => {
    const byEncoding = (e: string) => FULCIO_OIDS.filter((o) => o.encoding === e).map((o) => o.arc);
    expect(byEncoding("raw-utf8")).toStrictEqual([1, 2, 3, 4, 5, 6]);
    expect(byEncoding("san-othername")).toStrictEqual([7]);
    expect(byEncoding("der-utf8string")).toStrictEqual([
      8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    ]);
  });

  it("maps each extension to exactly one claim field", () => {
    const keys = Object.fromEntries(FULCIO_OIDS.map((o) => [o.arc, o.key]));
    expect(keys).toStrictEqual({
      1: "issuerV1",
      2: "githubWorkflowTrigger",
      3: "githubWorkflowSha",
      4: "githubWorkflowName",
      5: "githubWorkflowRepository",
      6: "githubWorkflowRef",
      7: undefined,
      8: "issuerV2",
      9: "buildSignerUri",
      10: "buildSignerDigest",
      11: "runnerEnvironment",
      12: "sourceRepositoryUri",
      13: "sourceRepositoryDigest",
      14: "sourceRepositoryRef",
      15: "sourceRepositoryIdentifier",
      16: "sourceRepositoryOwnerUri",
      17: "sourceRepositoryOwnerIdentifier",
      18: "buildConfigUri",
      19: "buildConfigDigest",
      20: "buildTrigger",
      21: "runInvocationUri",
      22: "sourceRepositoryVisibilityAtSigning",
      23: "deploymentEnvironment",
      24: "tokenSubject",
    });
    expect(oidForClaim("deploymentEnvironment")).toBe("1.3.6.1.4.1.57264.1.23");
  });

  it("records names and OIDC claims (GitLab's where they differ)", () => {
    expect(fulcioOidInfo(fulcioOid(8))).toMatchObject({ name: "Issuer (V2)", claim: "iss" });
    expect(fulcioOidInfo(fulcioOid(12))).toMatchObject({
      name: "Source Repository URI",
      claim: "repository",
      gitlabClaim: "project_path",
    });
    expect(fulcioOidInfo(fulcioOid(18))).toMatchObject({
      name: "Build Config URI",
      claim: "workflow_ref",
      gitlabClaim: "ci_config_ref_uri",
    });
    expect(fulcioOidInfo(fulcioOid(7))).toMatchObject({ claim: "username" });
    expect(fulcioOidInfo(fulcioOid(24))).toMatchObject({ name: "Token Subject", claim: "sub" });
  });

  it("knows nothing outside .1-.24", () => {
    expect(fulcioOidInfo(fulcioOid(25))).toBeUndefined();
    expect(fulcioOidInfo("1.3.6.1.4.1.57264.1")).toBeUndefined();
    expect(describeOid(fulcioOid(25))).toBe("1.3.6.1.4.1.57264.1.25");
    expect(describeOid(fulcioOid(11))).toBe("1.3.6.1.4.1.57264.1.11 (Runner Environment)");
  });

  it("tells what is under the Fulcio arc without being fooled by a shared prefix", () => {
    expect(isUnderFulcioArc("1.3.6.1.4.1.57264.1.30")).toBe(true);
    expect(isUnderFulcioArc("1.3.6.1.4.1.57264.1.8")).toBe(true);
    expect(isUnderFulcioArc("1.3.6.1.4.1.57264.1")).toBe(false);
    expect(isUnderFulcioArc("1.3.6.1.4.1.57264.10")).toBe(false);
    expect(isUnderFulcioArc("1.3.6.1.4.1.57264.2")).toBe(false);
  });
});
