import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { createAgents, USER_AGENT } from "../../src/pypi/http.js";
import {
  DEFAULT_INDEX_URL,
  IndexClient,
  SIMPLE_ACCEPT,
  INTEGRITY_ACCEPT,
  integrityBaseUrl,
  resolveIndexUrl,
} from "../../src/pypi/index-client.js";
import type { IndexClientOptions, ProvenanceResult } from "../../src/pypi/index-client.js";
import type { ProjectPage } from "../../src/pypi/simple-api.js";
import { CORPUS_DIR, requireCorpus } from "../support/corpus.js";
import { FakeIndex } from "../support/fake-index.js";
import type { Fault } from "../support/fake-index.js";

requireCorpus();
const PROVENANCE = readFileSync(
  join(
    CORPUS_DIR,
    "api-examples",
    "integrity-provenance--sampleproject-4.0.0.tar.gz--warehouse-docs-example.json",
  ),
);
const SDIST = "sampleproject-4.0.0.tar.gz";
const WHEEL = "sampleproject-4.0.0-py3-none-any.whl";
const OLD = "sampleproject-3.0.0.tar.gz";
const sdistBody = Buffer.from("pretend sdist");

const index = new FakeIndex({
  projects: {
    sampleproject: {
      files: [
        { filename: SDIST, body: sdistBody, provenance: PROVENANCE, requiresPython: ">=3.8" },
        { filename: WHEEL, body: Buffer.from("wheel"), provenance: "withheld", yanked: "oops" },
        { filename: OLD, body: Buffer.from("old"), provenance: null },
      ],
    },
    other: { files: [] },
  },
});
const agents = createAgents({ proxyEnv: null });
let client: IndexClient;

function makeClient(extra: IndexClientOptions = {}): IndexClient {
  return new IndexClient({
    indexUrl: index.indexUrl,
    agents,
    retryBaseMs: 1,
    retryMaxMs: 5,
    timeoutMs: 2_000,
    ...extra,
  });
}

beforeAll(async () => {
  await index.start();
  client = makeClient();
});
afterAll(async () => {
  await index.close();
  agents.http.destroy();
});
beforeEach(() => {
  index.clearFaults();
  index.resetCounts();
  index.format = "json";
  index.omitProvenanceKey = false;
  index.gzip = false;
});

async function failure(p: Promise<unknown>): Promise<PyprovError> {
  let result: unknown;
  try {
    result = await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PyprovError);
    return err as PyprovError;
  }
  throw new Error(`expected a PyprovError, got ${JSON.stringify(result)}`);
}

const PAGE = "/simple/sampleproject/";
const integrityPath = (file: string): string => index.integrityPath("sampleproject", "4.0.0", file);
const file = (page: ProjectPage, name: string) => {
  const f = page.files.find((x) => x.filename === name);
  if (!f) throw new Error(`no ${name} on the page`);
  return { ...f, project: "sampleproject", version: name.includes("3.0.0") ? "3.0.0" : "4.0.0" };
};

describe("getProject", () => {
  it("parses the JSON and the HTML form into the same page", async () => {
    const j = await client.getProject("sampleproject");
    expect(index.lastHeaders(PAGE)?.accept).toBe(SIMPLE_ACCEPT);
    expect(index.lastHeaders(PAGE)?.["user-agent"]).toBe(USER_AGENT);
    index.format = "html";
    const h = await client.getProject("sampleproject");
    expect(j.format).toBe("json");
    expect(h.format).toBe("html");
    const strip = (p: ProjectPage) => p.files.map(({ uploadTime: _u, size: _s, ...rest }) => rest);
    expect(strip(h)).toEqual(strip(j));
    expect(h.name).toBe(j.name);
    const sdist = file(j, SDIST);
    expect(sdist.url).toBe(`${index.baseUrl}files/sampleproject/${SDIST}`);
    expect(sdist.provenanceUrl).toBe(index.baseUrl + integrityPath(SDIST).slice(1));
    expect(sdist.requiresPython).toBe(">=3.8");
    expect(sdist.hashes.sha256).toBe(createHash("sha256").update(sdistBody).digest("hex"));
    expect(file(j, OLD).provenanceUrl).toBeNull();
    expect(file(h, WHEEL).yankedReason).toBe("oops");
  });

  it("asks for the canonical name", async () => {
    const p = await client.getProject("SampleProject");
    expect(p.name).toBe("sampleproject");
    expect(index.count(PAGE)).toBe(1);
    await expect(client.getProject("../etc")).rejects.toMatchObject({ code: "USAGE" });
  });

  it("reports a missing project as INPUT_UNREADABLE", async () => {
    const err = await failure(client.getProject("no-such-project"));
    expect(err.code).toBe("INPUT_UNREADABLE");
    expect(err.message).toBe(`project "no-such-project" not found on ${index.indexUrl}`);
  });

  it("refuses an unexpected content type, invalid JSON and another project's page", async () => {
    index.fault(PAGE, { contentType: "text/plain", times: 1 });
    const e1 = await failure(client.getProject("sampleproject"));
    expect(e1.code).toBe("INPUT_MALFORMED");
    expect(e1.message).toContain("unexpected content type");
    index.fault(PAGE, { invalidJson: true, times: 1 });
    const e2 = await failure(client.getProject("sampleproject"));
    expect(e2.code).toBe("INPUT_MALFORMED");
    expect(e2.oneLine()).toContain(index.indexUrl + "sampleproject/");
    index.fault(PAGE, { redirectTo: "/simple/other/", times: 1 });
    const e3 = await failure(client.getProject("sampleproject"));
    expect(e3.code).toBe("INPUT_MALFORMED");
    expect(e3.message).toContain('for project "other"');
  });

  it("follows a same-origin redirect, refuses a foreign http one", async () => {
    index.fault(PAGE, { redirectTo: `${PAGE}?moved=1`, times: 1 });
    const p = await client.getProject("sampleproject");
    expect(p.url).toBe(`${index.indexUrl}sampleproject/?moved=1`);
    expect(p.files[0]?.url).toBe(`${index.baseUrl}files/sampleproject/${SDIST}`);
    index.fault(PAGE, { redirectTo: "http://evil.example.invalid/simple/sampleproject/" });
    const err = await failure(client.getProject("sampleproject"));
    expect(err.code).toBe("NETWORK");
    expect(err.message).toContain("refused redirect");
  });

  it("retries and decodes gzip", async () => {
    index.gzip = true;
    index.fault(PAGE, { status: 502, times: 1 });
    const p = await client.getProject("sampleproject");
    expect(p.files).toHaveLength(3);
    expect(index.count(PAGE)).toBe(2);
  });

  it("refuses an oversized page", async () => {
    const small = makeClient({ maxResponseBytes: 4096 });
    index.fault(PAGE, { oversize: 100_000 });
    const err = await failure(small.getProject("sampleproject"));
    expect(err.code).toBe("INPUT_TOO_LARGE");
  });
});

describe("getProvenance", () => {
  it("returns the provenance bytes exactly as served", async () => {
    const page = await client.getProject("sampleproject");
    const r = await client.getProvenance(file(page, SDIST));
    expect(r.status).toBe("found");
    expect(r.status === "found" && r.body.equals(PROVENANCE)).toBe(true);
    expect(r.url).toBe(index.baseUrl + integrityPath(SDIST).slice(1));
    expect(index.lastHeaders(integrityPath(SDIST))?.accept).toBe(INTEGRITY_ACCEPT);
  });

  it('"provenance": null is absent without a request', async () => {
    const page = await client.getProject("sampleproject");
    const r = await client.getProvenance(file(page, OLD));
    expect(r.status).toBe("absent");
    expect(index.total).toBe(1); // only the page
  });

  it("403 is withheld, never absent", async () => {
    const page = await client.getProject("sampleproject");
    const r = await client.getProvenance(file(page, WHEEL));
    expect(r).toMatchObject({ status: "withheld" });
    expect(r.status === "withheld" && r.reason).toContain("Attestations temporarily disabled");
  });

  it("falls back to the Integrity API when the index does not report provenance", async () => {
    index.omitProvenanceKey = true;
    for (const format of ["json", "html"] as const) {
      index.format = format;
      index.resetCounts();
      const page = await client.getProject("sampleproject");
      expect(page.files.every((f) => f.provenanceUrl === undefined)).toBe(true);
      const found = await client.getProvenance(file(page, SDIST));
      expect(found.status).toBe("found");
      expect(index.count(integrityPath(SDIST))).toBe(1);
      const absent = await client.getProvenance(file(page, OLD));
      expect(absent).toMatchObject({ status: "absent", reason: expect.stringContaining("404") });
      const withheld = await client.getProvenance(file(page, WHEEL));
      expect(withheld.status).toBe("withheld");
    }
    const err = await failure(client.getProvenance({ filename: SDIST }));
    expect(err.code).toBe("INTERNAL");
  });

  it("queries the Integrity API directly", async () => {
    const r = await client.getIntegrityProvenance("SampleProject", "4.0.0", SDIST);
    expect(r.status).toBe("found");
    const none = await client.getIntegrityProvenance("sampleproject", "9.9", "x-9.9.tar.gz");
    expect(none.status).toBe("absent");
  });

  it("retries 500 twice, then finds it (3 requests)", async () => {
    index.fault(integrityPath(SDIST), { status: 500, times: 2 });
    const r = await client.getIntegrityProvenance("sampleproject", "4.0.0", SDIST);
    expect(r.status).toBe("found");
    expect(index.count(integrityPath(SDIST))).toBe(3);
  });

  it("ends every fault in an error, never in found/absent", async () => {
    const faults: [Fault, string][] = [
      [{ status: 503 }, "NETWORK"],
      [{ status: 429, retryAfter: 0 }, "NETWORK"],
      [{ status: 406 }, "NETWORK"],
      [{ status: 410 }, "NETWORK"],
      [{ reset: true }, "NETWORK"],
      [{ truncate: true }, "NETWORK"],
      [{ delayMs: 400 }, "NETWORK"],
      [{ oversize: 10_000_000 }, "INPUT_TOO_LARGE"],
      [{ redirectTo: "http://evil.example.invalid/provenance" }, "NETWORK"],
    ];
    const quick = makeClient({ timeoutMs: 100, maxAttempts: 2, maxResponseBytes: 1 << 20 });
    for (const [fault, code] of faults) {
      index.clearFaults();
      index.fault(integrityPath(SDIST), fault);
      let outcome: ProvenanceResult | PyprovError;
      try {
        outcome = await quick.getIntegrityProvenance("sampleproject", "4.0.0", SDIST);
      } catch (err) {
        outcome = err as PyprovError;
      }
      expect(outcome, JSON.stringify(fault)).toBeInstanceOf(PyprovError);
      expect((outcome as PyprovError).code, JSON.stringify(fault)).toBe(code);
    }
  });

  it("refuses a provenance URL that is neither https nor on the index's origin", async () => {
    const err = await failure(
      client.getProvenance({ filename: SDIST, provenanceUrl: "http://evil.example.invalid/p" }),
    );
    expect(err.code).toBe("INPUT_MALFORMED");
  });
});

describe("download", () => {
  it("hashes a file from the page", async () => {
    const page = await client.getProject("sampleproject");
    const d = await client.download(file(page, SDIST).url);
    expect(d.sha256).toBe(file(page, SDIST).hashes.sha256);
    expect(d.size).toBe(sdistBody.length);
  });
});

describe("index URLs", () => {
  it("resolves the index from the option, PIP_INDEX_URL, UV_INDEX_URL, then PyPI", () => {
    const env = {
      PIP_INDEX_URL: "https://pip.example/simple",
      UV_INDEX_URL: "https://uv.example/simple/",
    };
    expect(resolveIndexUrl("https://mine.example/s/", env)).toBe("https://mine.example/s/");
    expect(resolveIndexUrl(undefined, env)).toBe("https://pip.example/simple/");
    expect(resolveIndexUrl(undefined, { UV_INDEX_URL: env.UV_INDEX_URL })).toBe(env.UV_INDEX_URL);
    expect(resolveIndexUrl(undefined, { PIP_INDEX_URL: " " })).toBe(DEFAULT_INDEX_URL);
    expect(resolveIndexUrl(undefined, {})).toBe("https://pypi.org/simple/");
    expect(() => resolveIndexUrl("ftp://x/", {})).toThrow(PyprovError);
    expect(() => resolveIndexUrl(undefined, { PIP_INDEX_URL: "not a url" })).toThrow(
      /PIP_INDEX_URL/,
    );
  });

  it("derives the Integrity API base from the index URL", () => {
    expect(integrityBaseUrl("https://pypi.org/simple/")).toBe("https://pypi.org/");
    expect(integrityBaseUrl("https://test.pypi.org/simple/")).toBe("https://test.pypi.org/");
    expect(integrityBaseUrl("https://host.example/prefix/simple/")).toBe(
      "https://host.example/prefix/",
    );
    expect(integrityBaseUrl("https://host.example/pypi/index/")).toBe("https://host.example/");
    const pypi = new IndexClient({ indexUrl: "https://pypi.org/simple/" });
    expect(pypi.integrityUrl("Sample_Project", "4.0.0", SDIST)).toBe(
      `https://pypi.org/integrity/sample-project/4.0.0/${SDIST}/provenance`,
    );
    expect(pypi.projectUrl("Sample.Project")).toBe("https://pypi.org/simple/sample-project/");
  });
});
