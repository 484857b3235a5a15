import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { decodeEntities, scanHtml } from "../../src/pypi/html-scan.js";
import {
  pageFormat,
  parseHtmlProjectPage,
  parseJsonProjectPage,
  parseProjectPage,
} from "../../src/pypi/simple-api.js";
import type { ProjectPage } from "../../src/pypi/simple-api.js";
import { CORPUS_DIR, requireCorpus } from "../support/corpus.js";

const PAGE = "https://index.example/simple/demo/";
const SHA_A = "a".repeat(64);
const SHA_B = "B".repeat(64);

function malformed(fn: () => unknown): PyprovError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PyprovError);
    const e = err as PyprovError;
    expect(e.code).toBe("INPUT_MALFORMED");
    return e;
  }
  throw new Error("expected INPUT_MALFORMED, but parsing succeeded");
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const JSON_PAGE = {
  meta: { "api-version": "1.4" },
  name: "demo",
  files: [
    {
      filename: "demo-1.0.tar.gz",
      url: "../../files/demo/demo-1.0.tar.gz",
      hashes: { sha256: SHA_A },
      "requires-python": ">=3.8",
      yanked: false,
      provenance: "../../integrity/demo/1.0/demo-1.0.tar.gz/provenance",
      "upload-time": "2024-01-01T00:00:00Z",
      size: 10,
    },
    {
      filename: "demo-1.0-py3-none-any.whl",
      url: "https://files.example/demo-1.0-py3-none-any.whl#sha256=ignored",
      hashes: { SHA256: SHA_B },
      "requires-python": null,
      yanked: 'broken "build" <x>',
      provenance: null,
    },
  ],
  versions: ["1.0"],
};

const HTML_PAGE = `<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.4"><title>Links for demo</title></head>
<body><h1>Links for demo</h1>
<a href="../../files/demo/demo-1.0.tar.gz#sha256=${SHA_A}" data-requires-python="&gt;=3.8"
   data-provenance="../../integrity/demo/1.0/demo-1.0.tar.gz/provenance">demo-1.0.tar.gz</a><br/>
<A HREF='https://files.example/demo-1.0-py3-none-any.whl#sha256=${SHA_B}'
   data-yanked="broken &quot;build&quot; &lt;x&gt;">demo-1.0-py3-none-any.whl</A>
</body></html>`;

/** The fields both formats carry. */
function common(p: ProjectPage): unknown {
  return p.files.map((f) => ({
    filename: f.filename,
    url: f.url,
    hashes: f.hashes,
    requiresPython: f.requiresPython,
    yanked: f.yanked,
    yankedReason: f.yankedReason,
    provenanceUrl: f.provenanceUrl,
  }));
}

describe("PEP 691 JSON pages", () => {
  it("parses files, resolving relative URLs against the page URL", () => {
    const p = parseJsonProjectPage(json(JSON_PAGE), PAGE);
    expect(p.name).toBe("demo");
    expect(p.format).toBe("json");
    expect(p.apiVersion).toBe("1.4");
    expect(p.versions).toEqual(["1.0"]);
    const [sdist, wheel] = p.files;
    expect(sdist).toEqual({
      filename: "demo-1.0.tar.gz",
      url: "https://index.example/files/demo/demo-1.0.tar.gz",
      hashes: { sha256: SHA_A },
      requiresPython: ">=3.8",
      yanked: false,
      yankedReason: null,
      provenanceUrl: "https://index.example/integrity/demo/1.0/demo-1.0.tar.gz/provenance",
      uploadTime: "2024-01-01T00:00:00Z",
      size: 10,
      coreMetadata: null,
    });
    expect(wheel?.url).toBe("https://files.example/demo-1.0-py3-none-any.whl");
    expect(wheel?.hashes).toEqual({ sha256: SHA_B.toLowerCase() });
    expect(wheel?.yanked).toBe(true);
    expect(wheel?.yankedReason).toBe('broken "build" <x>');
  });

  it("reads PEP 714 core-metadata and the older PEP 658 keys: hashes, true, false", () => {
    const withMeta = (meta: Record<string, unknown>) => {
      const page = structuredClone(JSON_PAGE);
      Object.assign(page.files[0] as Record<string, unknown>, meta);
      return parseJsonProjectPage(json(page), PAGE).files[0]?.coreMetadata;
    };
    expect(withMeta({ "core-metadata": { sha256: SHA_B } })).toEqual({
      hashes: { sha256: SHA_B.toLowerCase() },
    });
    expect(withMeta({ "data-dist-info-metadata": { sha256: SHA_A } })).toEqual({
      hashes: { sha256: SHA_A },
    });
    expect(withMeta({ "dist-info-metadata": true })).toEqual({ hashes: {} });
    expect(withMeta({ "core-metadata": false })).toBeNull();
    expect(() => withMeta({ "core-metadata": { sha256: "abc" } })).toThrow(/64 hex/);
    const html = (attr: string) =>
      parseHtmlProjectPage(
        Buffer.from(`<a href="demo-1.0.tar.gz#sha256=${SHA_A}" ${attr}>demo-1.0.tar.gz</a>`),
        PAGE,
        "demo",
      ).files[0]?.coreMetadata;
    expect(html(`data-core-metadata="sha256=${SHA_B}"`)).toEqual({
      hashes: { sha256: SHA_B.toLowerCase() },
    });
    expect(html('data-dist-info-metadata="true"')).toEqual({ hashes: {} });
    expect(html("")).toBeNull();
    expect(() => html('data-core-metadata="sha256"')).toThrow(/bad data-core-metadata/);
  });

  it('tells "provenance": null (none) from a missing key (index does not say)', () => {
    const page = structuredClone(JSON_PAGE);
    delete (page.files[0] as { provenance?: unknown }).provenance;
    const p = parseJsonProjectPage(json(page), PAGE);
    expect(p.files[0]?.provenanceUrl).toBeUndefined();
    expect("provenanceUrl" in (p.files[0] ?? {})).toBe(true);
    expect(p.files[1]?.provenanceUrl).toBeNull();
  });

  it("rejects malformed pages with INPUT_MALFORMED naming the URL", () => {
    const e = malformed(() => parseJsonProjectPage(Buffer.from('{"meta": '), PAGE));
    expect(e.oneLine()).toContain(PAGE);
    const secret = "https://user:s3cret@index.example/simple/demo/";
    const e0 = malformed(() => parseJsonProjectPage(Buffer.from("{"), secret));
    expect(e0.oneLine()).not.toContain("s3cret");
    malformed(() => parseJsonProjectPage(json({ name: "demo", files: [] }), PAGE));
    malformed(() =>
      parseJsonProjectPage(json({ ...JSON_PAGE, meta: { "api-version": "2.0" } }), PAGE),
    );
    const bad = (file: Record<string, unknown>): PyprovError =>
      malformed(() =>
        parseJsonProjectPage(
          json({ ...JSON_PAGE, files: [{ ...JSON_PAGE.files[0], ...file }] }),
          PAGE,
        ),
      );
    expect(bad({ hashes: { sha256: "zz" } }).message).toContain("files[0].hashes.sha256");
    expect(bad({ hashes: { sha256: "ab" } }).message).toContain("64 hex digits");
    expect(bad({ url: "javascript:alert(1)" }).message).toContain("files[0].url");
    expect(bad({ provenance: "ftp://x/y" }).message).toContain("files[0].provenance");
    expect(bad({ yanked: 1 }).message).toContain("yanked");
  });

  it("reads the api-examples bodies: the docs' PEP 691 example is invalid JSON", () => {
    requireCorpus();
    const dir = join(CORPUS_DIR, "api-examples");
    const file = join(dir, "simple-json--beautifulsoup4--pep691--warehouse-docs-example.json");
    const raw = readFileSync(file);
    const url = "https://pypi.org/simple/beautifulsoup4/";
    const e = malformed(() => parseJsonProjectPage(raw, url));
    expect(e.message).toMatch(/not valid JSON/);
    // Repaired the way the docs meant it: the missing comma, without the "...More..." placeholders.
    const repaired = raw
      .toString("utf8")
      .replace(/\n\s*"\.\.\.More (files|versions)\.\.\.",/g, "")
      .replace(/\}\n(\s*)"versions"/, '},\n$1"versions"');
    const p = parseJsonProjectPage(Buffer.from(repaired), url);
    expect(p.name).toBe("beautifulsoup4");
    expect(p.apiVersion).toBe("1.4");
    expect(p.files.map((f) => f.filename)).toContain("beautifulsoup4-4.12.3.tar.gz");
    expect(p.files.every((f) => f.provenanceUrl === undefined)).toBe(true); // predates PEP 740
    expect(p.files[0]?.hashes.sha256).toBe(
      "dc6bc8e8851a1c590c8cc8f25915180fdcce116e268d1f37fa991d2686ea38de",
    );
    // The other bodies are not project pages; a project-page parse must refuse them.
    const jsonApi = readFileSync(
      join(dir, "pypi-json--sampleproject--project--warehouse-docs-example.json"),
    );
    malformed(() => parseJsonProjectPage(jsonApi, "https://pypi.org/pypi/sampleproject/json"));
  });
});

describe("PEP 503 HTML pages", () => {
  it("parses the same page as the JSON form", () => {
    const h = parseHtmlProjectPage(Buffer.from(HTML_PAGE), PAGE, "demo");
    const j = parseJsonProjectPage(json(JSON_PAGE), PAGE);
    expect(h.format).toBe("html");
    expect(h.apiVersion).toBe("1.4");
    expect(common(h)).toEqual(common(j));
    expect(h.files[0]?.uploadTime).toBeNull();
  });

  it("infers provenance from the repository version: >= 1.3 means null, older means unknown", () => {
    const plain = '<a href="/f/demo-1.0.tar.gz">demo-1.0.tar.gz</a>';
    const v13 = `<meta name="pypi:repository-version" content="1.3">${plain}`;
    const v10 = `<meta name="pypi:repository-version" content="1.0">${plain}`;
    expect(parseHtmlProjectPage(Buffer.from(v13), PAGE, "demo").files[0]?.provenanceUrl).toBeNull();
    expect(
      parseHtmlProjectPage(Buffer.from(v10), PAGE, "demo").files[0]?.provenanceUrl,
    ).toBeUndefined();
    expect(
      parseHtmlProjectPage(Buffer.from(plain), PAGE, "demo").files[0]?.provenanceUrl,
    ).toBeUndefined();
  });

  it("decodes entities in attributes and text, honours <base href>, and skips comments and scripts", () => {
    const page = `<base href="https://mirror.example/pkgs/">
      <!-- <a href="commented.tar.gz">commented.tar.gz</a> -->
      <script>var s = '<a href="scripted.tar.gz">x</a>';</script>
      <a href="demo-1.0.tar.gz?x=1&amp;y=2" data-yanked="">demo&#x2D;1.0.tar.gz</a>
      <a href=demo-2.0.zip data-requires-python=&gt;=3.9>  </a>`;
    const p = parseHtmlProjectPage(Buffer.from(page), PAGE, "demo");
    expect(p.files.map((f) => f.filename)).toEqual(["demo-1.0.tar.gz", "demo-2.0.zip"]);
    expect(p.files[0]?.url).toBe("https://mirror.example/pkgs/demo-1.0.tar.gz?x=1&y=2");
    expect(p.files[0]?.yanked).toBe(true);
    expect(p.files[0]?.yankedReason).toBeNull();
    expect(p.files[0]?.hashes).toEqual({});
    expect(p.files[1]?.requiresPython).toBe(">=3.9");
  });

  it("rejects links that are not http(s) and unsupported versions", () => {
    malformed(() =>
      parseHtmlProjectPage(Buffer.from('<a href="javascript:x()">x</a>'), PAGE, "demo"),
    );
    malformed(() =>
      parseHtmlProjectPage(
        Buffer.from('<meta name="pypi:repository-version" content="2.0"><a href="x.zip">x.zip</a>'),
        PAGE,
        "demo",
      ),
    );
  });

  it("stays linear on hostile input", () => {
    const hostile = [
      '<a href="'.repeat(200_000),
      "<".repeat(1_000_000),
      "<a ".repeat(300_000),
      "<a x='".repeat(200_000) + "'>",
      "<!--" + "<a>".repeat(300_000),
      "<script>" + "</scrip".repeat(200_000),
      "&#".repeat(500_000) + "&amp".repeat(500_000),
      `<a ${"b=c ".repeat(300_000)}>`,
    ];
    for (const h of hostile) {
      const t0 = performance.now();
      try {
        parseHtmlProjectPage(Buffer.from(h), PAGE, "demo");
      } catch (err) {
        expect(err).toBeInstanceOf(PyprovError);
      }
      decodeEntities(h);
      expect(performance.now() - t0).toBeLessThan(1_500);
    }
  });

  it("parses a page with 20,000 links quickly", () => {
    const links = Array.from(
      { length: 20_000 },
      (_, i) => `<a href="/f/demo-${i}.tar.gz#sha256=${SHA_A}">demo-${i}.tar.gz</a><br/>`,
    ).join("\n");
    const t0 = performance.now();
    const p = parseHtmlProjectPage(Buffer.from(links), PAGE, "demo");
    expect(p.files).toHaveLength(20_000);
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it("scans tags with attributes and following text", () => {
    const seen: [string, Record<string, string>, string][] = [];
    scanHtml(`<A Href = "x" data-a='1' data-b=2 data-c>t&amp;</a><br/>`, (n, a, t) =>
      seen.push([n, Object.fromEntries(a), t]),
    );
    expect(seen).toEqual([
      ["a", { href: "x", "data-a": "1", "data-b": "2", "data-c": "" }, "t&amp;"],
      ["br", {}, ""],
    ]);
    expect(decodeEntities("&lt;&#60;&#x3C;&bogus;&#0;&#x110000;")).toBe("<<<&bogus;\ufffd\ufffd");
  });
});

describe("content types", () => {
  it("picks the parser from the Content-Type", () => {
    expect(pageFormat("application/vnd.pypi.simple.v1+json")).toBe("json");
    expect(pageFormat("application/json; charset=utf-8")).toBe("json");
    expect(pageFormat("text/html; charset=utf-8")).toBe("html");
    expect(pageFormat("application/vnd.pypi.simple.v1+html")).toBe("html");
    expect(pageFormat("text/plain")).toBeUndefined();
    expect(pageFormat(undefined)).toBeUndefined();
    const e = malformed(() => parseProjectPage(json(JSON_PAGE), "text/plain", PAGE, "demo"));
    expect(e.message).toContain("unexpected content type");
    expect(parseProjectPage(Buffer.from(HTML_PAGE), "text/html", PAGE, "demo").files).toHaveLength(
      2,
    );
  });
});

// Issue 12, item 9: pip names a file after its URL's last path segment
// (percent-decoded), so a page listing another name would have pyprov verify
// one file while pip installs another.
describe("the listed name is the name pip downloads", () => {
  const LISTED = "sampleproject-0.1.tar.gz";
  const SERVED = "https://files.example/packages/sampleproject-99.0.tar.gz";
  const jsonPage = (filename: string, url: string): Buffer =>
    json({
      meta: { "api-version": "1.4" },
      name: "sampleproject",
      files: [{ filename, url, hashes: { sha256: SHA_A } }],
    });
  const htmlPage = (href: string, text: string): Buffer =>
    Buffer.from(`<a href="${href}#sha256=${SHA_A}">${text}</a>`);

  it("JSON: a filename its URL does not name is INPUT_MALFORMED naming both and the URL", () => {
    const e = malformed(() => parseJsonProjectPage(jsonPage(LISTED, SERVED), PAGE));
    expect(e.source).toBe(PAGE);
    expect(e.message).toBe(
      `files[0]: the page lists "${LISTED}" but its URL ${SERVED} names "sampleproject-99.0.tar.gz" (pip downloads it under the URL's name)`,
    );
  });

  it("HTML: anchor text its href does not name is INPUT_MALFORMED", () => {
    const e = malformed(() => parseHtmlProjectPage(htmlPage(SERVED, LISTED), PAGE, "demo"));
    expect(e.message).toContain(`link 1: the page lists "${LISTED}"`);
    expect(e.message).toContain(SERVED);
  });

  it("compares the percent-decoded last segment, exactly", () => {
    const local = "demo-1.0+cpu-py3-none-any.whl";
    const encoded = "https://files.example/demo-1.0%2Bcpu-py3-none-any.whl";
    expect(parseJsonProjectPage(jsonPage(local, encoded), PAGE).files[0]?.filename).toBe(local);
    expect(parseHtmlProjectPage(htmlPage(encoded, local), PAGE, "demo").files[0]?.filename).toBe(
      local,
    );
    // No anchor text: the URL's name is the name.
    expect(parseHtmlProjectPage(htmlPage(encoded, " "), PAGE, "demo").files[0]?.filename).toBe(
      local,
    );
    // A query string is not part of the name; the fragment is not either.
    expect(
      parseJsonProjectPage(jsonPage(local, `${encoded}?token=1`), PAGE).files[0]?.filename,
    ).toBe(local);
    for (const url of [
      "https://files.example/demo-1.0+cpu-py3-none-any.whl/", // trailing slash: pip strips it
      "https://files.example/x%2Fdemo-1.0+cpu-py3-none-any.whl", // an encoded "/"
      "https://files.example/demo-1.0%252Bcpu-py3-none-any.whl", // encoded twice
      "https://files.example/DEMO-1.0+cpu-py3-none-any.whl", // another case
      "https://files.example/download?file=demo-1.0+cpu-py3-none-any.whl",
    ]) {
      malformed(() => parseJsonProjectPage(jsonPage(local, url), PAGE));
      malformed(() => parseHtmlProjectPage(htmlPage(url, local), PAGE, "demo"));
    }
  });
});
