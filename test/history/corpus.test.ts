/**
 * A real transfer, from the shared corpus: repository 772247423 published
 * pypi-attestations 0.0.16 and 0.0.19 as trailofbits/pypi-attestations
 * (owner ID 2314423) and 0.0.28 as pypi/pypi-attestations (owner ID
 * 2964877). Served by the fake index as one project with three releases
 * (upload times from the attestations' log entries), `verify --history`
 * must call it a transfer (a warning, exit 0), not a takeover.
 *
 * And the rename before it: the same repository published
 * pypi_attestation_models 0.0.4a2 as trailofbits/pypi-attestation-models.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyChange, describeChange, identitiesOf } from "../../src/history/identity.js";
import { verifyDistributions } from "../../src/pipeline.js";
import { REPO_ROOT, trustedRootPath } from "../support/corpus.js";
import { verifyJson } from "../support/synthetic-index.js";
import {
  MODELS_0_0_4A2,
  PA_0_0_19,
  PYPI_OWNER_ID,
  REPO_ID,
  TOB_OWNER_ID,
  corpusInputs,
} from "../policy/helpers.js";
import { PROJECT, corpusIndex } from "./corpus-index.js";
import { continuityOf, kinds } from "./helpers.js";

const si = corpusIndex();

beforeAll(async () => {
  await si.start();
});
afterAll(async () => {
  await si.close();
});

const prod = ["--trusted-root", trustedRootPath("production")];
const run = (args: string[]) =>
  verifyJson([...args, "--index-url", si.indexUrl, ...prod, "--no-cache", "--no-lookalike"]);

describe("corpus: pypi-attestations moved from trailofbits to pypi", () => {
  it("0.0.28 --history: a transfer (same repository ID, new owner), a warning, exit 0", async () => {
    const r = await run([`${PROJECT}==0.0.28`, "--history"]);
    expect(r.code).toBe(0);
    const x = r.doc.results[0]!;
    expect(x.verdict).toBe("verified");
    const c = continuityOf(r);
    expect(c.order).toBe("upload-time");
    expect(c.releases.map((rel) => `${rel.version}:${rel.status}`)).toEqual([
      "0.0.16:attested",
      "0.0.19:attested",
      "0.0.28:attested",
    ]);
    expect(c.releases.map((rel) => rel.identities[0]!.ownerId)).toEqual([
      TOB_OWNER_ID,
      TOB_OWNER_ID,
      PYPI_OWNER_ID,
    ]);
    expect(c.releases.every((rel) => rel.identities[0]!.repositoryId === REPO_ID)).toBe(true);
    expect(kinds(c)).toEqual(["transferred:warn"]);
    expect(c.findings[0]).toMatchObject({ from: "0.0.19", to: "0.0.28" });
    expect(x.warnings).toEqual([
      `transferred: repository ID ${REPO_ID} moved from trailofbits/pypi-attestations (owner ID ${TOB_OWNER_ID}) to pypi/pypi-attestations (owner ID ${PYPI_OWNER_ID}) between 0.0.19 and 0.0.28: the same repository, now under another owner`,
    ]);
    expect(JSON.stringify(x)).not.toContain("REPOSITORY_REREGISTERED");
    expect(JSON.stringify(x)).not.toContain("PUBLISHER_CHANGED");
  });

  it("0.0.19 --history: the same publisher as 0.0.16, nothing to report", async () => {
    const r = await run([`${PROJECT}==0.0.19`, "--history"]);
    expect(r.code).toBe(0);
    const c = continuityOf(r);
    expect(c.releases.map((rel) => rel.version)).toEqual(["0.0.16", "0.0.19"]);
    expect(c.findings).toEqual([]);
  });

  it("with the ID-pinning example policy: the policy's renamed/transferred warnings and the history's", async () => {
    const r = await run([
      `${PROJECT}==0.0.28`,
      "--history",
      "--policy",
      join(REPO_ROOT, "docs", "policy-examples", "pypi-attestations.yaml"),
    ]);
    expect(r.code).toBe(0);
    const w = r.doc.results[0]!.warnings;
    expect(w.some((m) => m.startsWith("renamed: repository ID 772247423 is pinned as"))).toBe(true);
    expect(w.some((m) => m.startsWith("transferred: repository ID 772247423 moved"))).toBe(true);
  });
});

describe("corpus: the rename from pypi-attestation-models", () => {
  async function identityOf(caseName: string) {
    const run = await verifyDistributions(corpusInputs(caseName));
    expect(run.results[0]!.verdict).toBe("verified");
    const ids = identitiesOf(run.results[0]!);
    expect(ids).toHaveLength(1);
    return ids[0]!.identity;
  }

  it("0.0.4a2 → 0.0.19: same IDs, new name: renamed, not re-registered", async () => {
    const models = await identityOf(MODELS_0_0_4A2);
    const v19 = await identityOf(PA_0_0_19);
    expect(models).toMatchObject({
      repository: "trailofbits/pypi-attestation-models",
      repositoryId: REPO_ID,
      ownerId: TOB_OWNER_ID,
    });
    const changes = classifyChange(models, v19);
    expect(changes).toEqual([{ kind: "renamed", fields: ["repository"] }]);
    expect(describeChange(changes[0]!, models, v19, "0.0.4a2", "0.0.19")).toBe(
      `renamed: repository ID ${REPO_ID} published 0.0.4a2 as trailofbits/pypi-attestation-models and 0.0.19 as trailofbits/pypi-attestations (same repository, new name)`,
    );
  });

  it("0.0.4a2 → 0.0.28: renamed and transferred at once is a transfer", async () => {
    const models = await identityOf(MODELS_0_0_4A2);
    const v28 = await identityOf("carabiner-pypi_attestations-0.0.28-sdist");
    expect(classifyChange(models, v28)).toEqual([
      { kind: "transferred", fields: ["repository", "owner", "owner_id"] },
    ]);
  });
});
