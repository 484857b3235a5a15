/**
 * Shared by the report tests: validators for every format against its
 * schema (loaded from installed packages or from this repository, never from
 * the network), and normalisation of volatile fields for golden files.
 *
 * - SARIF 2.1.0: the schema @microsoft/jest-sarif ships (Microsoft's SARIF
 *   SDK; sarif-2.1.0-rtm.5, JSON Schema draft-04, read with ajv-draft-04).
 * - CycloneDX 1.6: @cyclonedx/cyclonedx-library's own validator over the
 *   schema files it ships (bom-1.6 with its spdx and jsf references).
 * - in-toto Statement v1 and the VSA predicate: schemas written from the
 *   specifications (test/report/schemas/), as no package ships them.
 * - The JSON report: docs/schemas/pyprov-verify-v1.schema.json, also with
 *   every object closed, so a field the schema does not describe fails.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import ajvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import { expect } from "vitest";
import { pyprovVersion } from "../../src/paths.js";
import { sigstoreVerifyVersion } from "../../src/report/outcome.js";
import { CORPUS_DIR, REPO_ROOT } from "../support/corpus.js";

const require = createRequire(import.meta.url);
// CommonJS modules whose `module.exports` also carries itself as `default`.
const Ajv04 = ajvDraft04.default;
const addFormats = ajvFormats.default;
const HERE = dirname(new URL(import.meta.url).pathname);
export const GOLDEN_DIR = join(HERE, "golden");
export const REPORT_SCHEMA_PATH = join(
  REPO_ROOT,
  "docs",
  "schemas",
  "pyprov-verify-v1.schema.json",
);
/** Set to rewrite golden files and the published schema instead of comparing. */
export const UPDATE = process.env.PYPROV_UPDATE_GOLDEN === "1";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`)
    .join("\n");
}

function expectValid(validate: ValidateFunction, doc: unknown, what: string): void {
  const ok = validate(doc);
  expect(ok, `${what} does not validate:\n${explain(validate.errors)}`).toBe(true);
}

// --- SARIF ------------------------------------------------------------------

export const SARIF_SCHEMA_PATH =
  require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
let sarif: ValidateFunction | undefined;
/** The schema's `language` pattern is not a valid Unicode-mode RegExp, hence unicodeRegExp: false. */
export function expectValidSarif(doc: unknown): void {
  if (!sarif) {
    const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    sarif = ajv.compile(readJson(SARIF_SCHEMA_PATH));
  }
  expectValid(sarif, doc, "SARIF");
}

// --- CycloneDX --------------------------------------------------------------

const cdx = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
export async function expectValidCycloneDx(doc: unknown): Promise<void> {
  const errors = await cdx.validate(JSON.stringify(doc));
  expect(errors, `CycloneDX 1.6 does not validate: ${JSON.stringify(errors)?.slice(0, 2000)}`).toBe(
    null,
  );
}

// --- in-toto Statement and VSA ----------------------------------------------

const ajv2020 = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv2020);
const statement = ajv2020.compile(
  readJson(join(HERE, "schemas", "in-toto-statement-v1.schema.json")),
);
const vsaPredicate = ajv2020.compile(readJson(join(HERE, "schemas", "slsa-vsa-v1.schema.json")));

/** Each line one statement, valid as an in-toto Statement v1 and as a VSA. */
export function expectValidVsaLines(text: string): Record<string, unknown>[] {
  expect(text === "" || text.endsWith("\n"), "JSON Lines end with a newline").toBe(true);
  const lines = text === "" ? [] : text.slice(0, -1).split("\n");
  return lines.map((line, i) => {
    expect(line.trim(), `line ${i + 1} is one JSON value`).toBe(line);
    const doc = JSON.parse(line) as Record<string, unknown>;
    expectValid(statement, doc, `line ${i + 1}: in-toto Statement v1`);
    expectValid(vsaPredicate, doc, `line ${i + 1}: SLSA VSA v1`);
    return doc;
  });
}

// --- the JSON report ----------------------------------------------------------

/** A copy of a JSON Schema with every object that lists properties closed. */
export function closed(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== "object") return schema;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(schema)) out[k] = closed(v);
  if ("properties" in schema && !("additionalProperties" in schema)) {
    out.additionalProperties = false;
  }
  return out;
}

let report: { open: ValidateFunction; closed: ValidateFunction } | undefined;
/** Compiled on first use, so that an update run validates against the schema it just wrote. */
export function expectValidReport(doc: unknown): void {
  if (!report) {
    const schema = readJson(REPORT_SCHEMA_PATH);
    report = {
      open: new Ajv2020({ allErrors: true, strict: true }).compile(schema),
      closed: new Ajv2020({ allErrors: true, strict: true }).compile(
        closed(schema as Json) as Record<string, unknown>,
      ),
    };
  }
  expectValid(report.open, doc, "the JSON report (published schema)");
  expectValid(report.closed, doc, "the JSON report (every object closed)");
}

// --- normalisation -------------------------------------------------------------

/** Replace volatile text: the corpus location, temp dirs, index URLs, versions, times, UUIDs. */
export function normalise(text: string, replacements: [string, string][] = []): string {
  let out = text;
  const all: [string, string][] = [
    ...replacements,
    [pathToFileURL(CORPUS_DIR).href, "file://$CORPUS"],
    [CORPUS_DIR, "$CORPUS"],
    [pathToFileURL(REPO_ROOT).href, "file://$REPO"],
    [REPO_ROOT, "$REPO"],
  ];
  for (const [from, to] of all) out = out.split(from).join(to);
  const versions: [RegExp, string][] = [
    [/("pyprov"\s*:\s*")[^"]+"/g, '$1$VERSION"'],
    [/("@sigstore\/verify"\s*:\s*")[^"]+"/g, '$1$VERSION"'],
    [/("name"\s*:\s*"pyprov",\s*"version"\s*:\s*")[^"]+"/g, '$1$VERSION"'],
    [/("(?:semanticVersion)"\s*:\s*")[^"]+"/g, '$1$VERSION"'],
    [/("name"\s*:\s*"verify",\s*"version"\s*:\s*")[^"]+"/g, '$1$VERSION"'],
    [/(pkg:npm\/%40sigstore\/verify@)[^"]+"/g, '$1$VERSION"'],
    [/("timeVerified"\s*:\s*")[^"]+"/g, '$1$TIME"'],
    [/("timestamp"\s*:\s*")[^"]+"/g, '$1$TIME"'],
    [/urn:uuid:[0-9a-f-]{36}/g, "urn:uuid:$UUID"],
  ];
  for (const [re, to] of versions) out = out.replace(re, to);
  return out;
}

/** The versions a golden file hides behind $VERSION, for a sanity check. */
export function currentVersions(): string[] {
  return [pyprovVersion(), sigstoreVerifyVersion()];
}
