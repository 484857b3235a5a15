/**
 * Every JSON parser on hostile input: arbitrary strings and bytes, arbitrary
 * JSON, and mutations of real inputs (corpus attestations, provenance,
 * bundles, trusted roots, PyPI's documented simple-API page). Each call
 * returns or throws a PyprovError (exit 2, one line), within a time bound:
 * never another exception, never a hang.
 *
 * Policy parsing is not covered here: it did not exist when this suite was
 * written (src/policy/ was still being written alongside it).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBundle } from "../../src/bundle/load.js";
import { parseProvenanceOrAttestation } from "../../src/pep740/load.js";
import { parseHtmlProjectPage, parseJsonProjectPage } from "../../src/pypi/simple-api.js";
import { parseTrustedRoot } from "../../src/sigstore/trust-root.js";
import { CORPUS_DIR, loadManifest } from "../support/corpus.js";
import {
  PROPERTY_TIMEOUT_MS,
  params,
  anyBytes,
  anyJsonText,
  anyText,
  mutate,
  mutation,
  returnsOrPyprovError,
  tokenText,
} from "./mutations.js";

function corpusFiles(kinds: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of loadManifest()) {
    for (const f of c.files) {
      if (kinds.includes(f.kind)) out.push(readFileSync(join(CORPUS_DIR, "cases", c.case, f.file)));
    }
  }
  return out;
}

const api = (name: string): Buffer => readFileSync(join(CORPUS_DIR, "api-examples", name));
const simpleJson = api("simple-json--beautifulsoup4--pep691--warehouse-docs-example.json");
/** The documented page misses a comma before "versions"; a valid copy is a better seed. */
const simpleJsonFixed = Buffer.from(
  simpleJson.toString("utf8").replace(/\]\s*\n(\s*)"versions"/, '],\n$1"versions"'),
);

const HTML_SEED = Buffer.from(`<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.4"><base href="https://files.example/"></head>
<body>
<a href="https://files.example/p/pkg-1.0.tar.gz#sha256=${"ab".repeat(32)}" data-requires-python="&gt;=3.8" data-provenance="https://pypi.org/integrity/pkg/1.0/pkg-1.0.tar.gz/provenance">pkg-1.0.tar.gz</a>
<a href="pkg-1.0-py3-none-any.whl#sha256=${"cd".repeat(32)}" data-yanked="broken" data-dist-info-metadata="sha256=${"ef".repeat(32)}">pkg-1.0-py3-none-any.whl</a>
</body></html>
`);
const HTML_TOKENS = [
  "<a ",
  "<a href=",
  "<A HREF='",
  ">",
  "</a>",
  '<base href="',
  '<meta name="pypi:repository-version" content="',
  '"',
  "'",
  "=",
  "#sha256=",
  "#md5=",
  "data-provenance=",
  "data-yanked",
  'data-requires-python="',
  "&gt;",
  "&#x",
  "&amp;",
  "&#",
  ";",
  "<!--",
  "-->",
  "<script>",
  "</script>",
  "<![CDATA[",
  "https://",
  "http://[::1]/",
  "javascript:",
  "//",
  "../",
  "pkg-1.0.tar.gz",
  "\u0000",
  "\ufeff",
  " ",
];

/** name, parser (bytes in), real seeds, and extra arbitraries aimed at the format. */
const parsers: {
  name: string;
  parse: (raw: Buffer) => unknown;
  seeds: Buffer[];
  extra?: fc.Arbitrary<Buffer>;
}[] = [
  {
    name: "attestation / provenance",
    parse: (raw) => parseProvenanceOrAttestation(raw, "fuzz.attestation"),
    seeds: corpusFiles(["attestation", "provenance", "slsa-attestation"]),
  },
  {
    name: "Sigstore bundle",
    parse: (raw) => parseBundle(raw, "fuzz.sigstore"),
    seeds: corpusFiles(["sigstore-bundle"]),
    extra: fc
      .record({
        mediaType: fc.constantFrom(
          "application/vnd.dev.sigstore.bundle+json;version=0.1",
          "application/vnd.dev.sigstore.bundle+json;version=0.2",
          "application/vnd.dev.sigstore.bundle.v0.3+json",
        ),
        verificationMaterial: fc.jsonValue({ maxDepth: 4 }),
        messageSignature: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
        dsseEnvelope: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
      })
      .map((o) => Buffer.from(JSON.stringify(o))),
  },
  {
    name: "trusted root",
    parse: (raw) => parseTrustedRoot(raw, "fuzz_trusted_root.json"),
    seeds: readdirSync(join(CORPUS_DIR, "trust"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => readFileSync(join(CORPUS_DIR, "trust", f))),
  },
  {
    name: "simple API JSON page",
    parse: (raw) => parseJsonProjectPage(raw, "https://pypi.org/simple/pkg/"),
    seeds: [simpleJson, simpleJsonFixed],
  },
  {
    name: "simple API HTML page",
    parse: (raw) => parseHtmlProjectPage(raw, "https://pypi.org/simple/pkg/", "pkg"),
    seeds: [HTML_SEED],
    extra: tokenText(HTML_TOKENS).map((s) => Buffer.from(s)),
  },
];

describe.each(parsers)("$name", ({ name, parse, seeds, extra }) => {
  it("the seeds parse", () => {
    expect(seeds.length).toBeGreaterThan(0);
    for (const s of seeds) returnsOrPyprovError(() => parse(s), name);
  });

  it(
    "arbitrary strings and bytes: a result or a PyprovError",
    () => {
      const input = fc.oneof(
        anyText.map((s) => Buffer.from(s)),
        anyBytes,
        ...(extra ? [extra] : []),
      );
      fc.assert(
        fc.property(input, (raw) => {
          returnsOrPyprovError(() => parse(raw), name);
        }),
        params(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "arbitrary JSON: a result or a PyprovError",
    () => {
      fc.assert(
        fc.property(anyJsonText, (text) => {
          returnsOrPyprovError(() => parse(Buffer.from(text)), name);
        }),
        params(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "mutations of real inputs: a result or a PyprovError",
    () => {
      fc.assert(
        fc.property(
          fc.nat(seeds.length - 1),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          (i, ms) => {
            const raw = ms.reduce<Buffer>((b, m) => mutate(b, m), seeds[i]!);
            returnsOrPyprovError(() => parse(raw), name);
          },
        ),
        params(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
