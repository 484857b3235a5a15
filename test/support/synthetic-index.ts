/**
 * Synthetic packages behind a {@link FakeIndex}: distribution files of random
 * bytes, their SHA-256, PEP 740 provenance minted by the test Sigstore (or
 * deliberately absent, withheld or wrong), any number of releases per
 * project; plus writers for requirements.txt, pylock.toml and uv.lock that
 * pin them.
 *
 * Free of vitest, so that benchmarks can bundle it.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalizeName } from "../../src/pypi/names.js";
import { runCli } from "./cli.js";
import type { CliResult } from "./cli.js";
import { FakeIndex } from "./fake-index.js";
import type { FakeFile, FakeIndexOptions } from "./fake-index.js";
import { TestSigstore, githubIdentity, provenance } from "./sigstore/index.js";
import type { Identity } from "./sigstore/index.js";

/** GitHub-hosted acme/pkg, release.yml, environment "pypi" (the same as synthetic.ts's ACME_GITHUB). */
export const PUBLISHER_IDENTITY: Identity = githubIdentity({
  repository: "acme/pkg",
  workflow: "release.yml",
  ref: "refs/tags/v1.0.0",
  environment: "pypi",
});

/**
 * What the index serves as the file's provenance:
 * - ok: a genuine attestation for the file's name and digest;
 * - none: no provenance (null on the page, 404 from the Integrity API);
 * - withheld: the Integrity API answers 403;
 * - wrong-digest: a genuine attestation whose subject digest is of other bytes.
 */
export type ProvenanceMode = "ok" | "none" | "withheld" | "wrong-digest";

export interface FileSpec {
  kind?: "wheel" | "sdist";
  /** Wheel tags (default "py3-none-any"). */
  tag?: string;
  /** Overrides the derived file name. */
  filename?: string;
  provenance?: ProvenanceMode;
  identity?: Identity;
  yanked?: boolean | string;
  /** Bytes of random content (default 2048). */
  size?: number;
}

export interface ReleaseSpec {
  version: string;
  /** Default: a py3-none-any wheel and an sdist, both attested. */
  files?: FileSpec[];
  /** Yank every file of the release. */
  yanked?: boolean | string;
}

export interface SynthFile {
  project: string;
  version: string;
  kind: "wheel" | "sdist";
  filename: string;
  body: Buffer;
  sha256: string;
  /** Provenance bytes as served; null = none; "withheld" = 403. */
  provenance: Buffer | null | "withheld";
  identity: Identity;
  fake: FakeFile;
}

export interface SynthProject {
  name: string;
  files: SynthFile[];
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The distribution-name part of file names: canonical name with "_" for "-". */
export function distName(project: string): string {
  return canonicalizeName(project).replace(/-/g, "_");
}

export function wheelFilename(project: string, version: string, tag = "py3-none-any"): string {
  return `${distName(project)}-${version}-${tag}.whl`;
}

export function sdistFilename(project: string, version: string): string {
  return `${distName(project)}-${version}.tar.gz`;
}

/** The bytes of a PEP 740 provenance object with one genuine attestation for (filename, sha256). */
export function provenanceBody(
  ss: TestSigstore,
  filename: string,
  sha256: string,
  identity: Identity = PUBLISHER_IDENTITY,
): Buffer {
  const attestation = ss.attest({ identity, filename, sha256 });
  const doc = provenance([{ publisher: identity.publisher ?? {}, attestations: [attestation] }]);
  return Buffer.from(JSON.stringify(doc));
}

/** One file of a release, with its provenance as `spec.provenance` says. */
export function makeFile(
  ss: TestSigstore,
  project: string,
  version: string,
  spec: FileSpec = {},
  release: Pick<ReleaseSpec, "yanked"> = {},
): SynthFile {
  const kind = spec.kind ?? "wheel";
  const filename =
    spec.filename ??
    (kind === "wheel"
      ? wheelFilename(project, version, spec.tag)
      : sdistFilename(project, version));
  const body = randomBytes(spec.size ?? 2048);
  const sha256 = sha256Hex(body);
  const identity = spec.identity ?? PUBLISHER_IDENTITY;
  const mode = spec.provenance ?? "ok";
  let prov: SynthFile["provenance"] = null;
  if (mode === "withheld") prov = "withheld";
  if (mode === "ok" || mode === "wrong-digest") {
    const subject = mode === "ok" ? sha256 : sha256Hex(randomBytes(32));
    prov = provenanceBody(ss, filename, subject, identity);
  }
  const yanked = spec.yanked ?? release.yanked;
  const fake: FakeFile = {
    filename,
    body,
    provenance: prov,
    version,
    ...(yanked !== undefined ? { yanked } : {}),
  };
  return { project, version, kind, filename, body, sha256, provenance: prov, identity, fake };
}

/** A project with the given releases (default files: wheel + sdist). */
export function makeProject(ss: TestSigstore, name: string, releases: ReleaseSpec[]): SynthProject {
  const files = releases.flatMap((r) =>
    (r.files ?? [{ kind: "wheel" }, { kind: "sdist" }]).map((spec) =>
      makeFile(ss, name, r.version, spec, r),
    ),
  );
  return { name, files };
}

// --- the index ----------------------------------------------------------------

export interface SyntheticIndexOptions {
  projects?: Record<string, ReleaseSpec[]>;
  /** FakeIndex settings (format, omitProvenanceKey, latencyMs, gzip). */
  index?: Omit<FakeIndexOptions, "projects">;
  ss?: TestSigstore;
}

/** A FakeIndex serving synthetic projects, with a scratch directory and the matching trusted root. */
export class SyntheticIndex {
  readonly ss: TestSigstore;
  readonly index: FakeIndex;
  /** Scratch directory (removed by close()). */
  readonly dir: string;
  /** trusted_root.json for `ss`, written into `dir`. */
  readonly root: string;
  readonly projects = new Map<string, SynthProject>();
  private n = 0;

  constructor(opts: SyntheticIndexOptions = {}) {
    this.ss = opts.ss ?? TestSigstore.shared();
    this.index = new FakeIndex({ projects: {}, ...opts.index });
    this.dir = mkdtempSync(join(tmpdir(), "pyprov-synth-index-"));
    this.root = join(this.dir, "trusted_root.json");
    writeFileSync(this.root, JSON.stringify(this.ss.trustedRoot()));
    for (const [name, releases] of Object.entries(opts.projects ?? {})) this.add(name, releases);
  }

  /** Add (or replace) a project of synthetic releases. */
  add(name: string, releases: ReleaseSpec[]): SynthProject {
    return this.put(makeProject(this.ss, name, releases));
  }

  /** Add (or replace) a project from ready-made files (e.g. real corpus data). */
  put(project: SynthProject): SynthProject {
    this.projects.set(canonicalizeName(project.name), project);
    this.index.setProject(project.name, { files: project.files.map((f) => f.fake) });
    return project;
  }

  project(name: string): SynthProject {
    const p = this.projects.get(canonicalizeName(name));
    if (!p) throw new Error(`no synthetic project ${name}`);
    return p;
  }

  /** Every file of one release. */
  release(name: string, version: string): SynthFile[] {
    return this.project(name).files.filter((f) => f.version === version);
  }

  /** One file, by name. */
  file(filename: string): SynthFile {
    for (const p of this.projects.values()) {
      const f = p.files.find((x) => x.filename === filename);
      if (f) return f;
    }
    throw new Error(`no synthetic file ${filename}`);
  }

  /** Replace what the index serves as a file's provenance (the page is re-rendered). */
  setProvenance(f: SynthFile, prov: Buffer | null | "withheld"): void {
    f.provenance = prov;
    f.fake.provenance = prov;
    this.put(this.project(f.project));
  }

  async start(): Promise<string> {
    return this.index.start();
  }

  async close(): Promise<void> {
    await this.index.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get indexUrl(): string {
    return this.index.indexUrl;
  }

  /** Absolute URL of a file's download. */
  fileUrl(f: SynthFile): string {
    return new URL(this.filePath(f), this.index.baseUrl).href;
  }

  /** Pathname of a file's download (as FakeIndex counts it). */
  filePath(f: SynthFile): string {
    return this.index.filePath(f.project, f.filename);
  }

  /** Pathname of a file's provenance (the page links there; also the Integrity API path). */
  provenancePath(f: SynthFile): string {
    return this.index.integrityPath(f.project, f.version, f.filename);
  }

  /** Pathname of a project's simple-API page. */
  pagePath(project: string): string {
    return `/simple/${canonicalizeName(project)}/`;
  }

  /** Requests to any file download since the last resetCounts(). */
  downloads(): number {
    let n = 0;
    for (const p of this.projects.values())
      for (const f of p.files) n += this.index.count(this.filePath(f));
    return n;
  }

  /** Requests to any provenance URL since the last resetCounts(). */
  provenanceRequests(): number {
    let n = 0;
    for (const p of this.projects.values())
      for (const f of p.files) n += this.index.count(this.provenancePath(f));
    return n;
  }

  /** A fresh, empty subdirectory of the scratch directory. */
  subdir(): string {
    const d = join(this.dir, `d${this.n++}`);
    mkdirSync(d);
    return d;
  }

  /** A path for a cache directory that does not exist yet. */
  freshCacheDir(): string {
    return join(this.dir, `cache${this.n++}`);
  }

  /** Write `text` to `name` in `dir` (default: a fresh subdirectory); returns the path. */
  write(name: string, text: string, dir = this.subdir()): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** A lock entry for one release's files (optionally filtered, or with digests replaced). */
  lockPackage(
    name: string,
    version: string,
    opts: {
      filter?: (f: SynthFile) => boolean;
      sha256?: (f: SynthFile) => string;
      identities?: Record<string, string>[];
    } = {},
  ): LockPackage {
    const files = this.release(name, version).filter(opts.filter ?? (() => true));
    const entry = (f: SynthFile): LockFile => ({
      filename: f.filename,
      url: this.fileUrl(f),
      sha256: opts.sha256?.(f) ?? f.sha256,
      size: f.body.length,
    });
    const sdist = files.find((f) => f.kind === "sdist");
    return {
      name,
      version,
      ...(sdist ? { sdist: entry(sdist) } : {}),
      wheels: files.filter((f) => f.kind === "wheel").map(entry),
      ...(opts.identities ? { identities: opts.identities } : {}),
    };
  }
}

// --- writers ------------------------------------------------------------------

export interface Requirement {
  name: string;
  /** `==VERSION` when given. */
  version?: string;
  hashes?: string[];
  /** An environment marker, written after ` ; `. */
  marker?: string;
  /** pip-compile's `# via` annotation. */
  via?: string;
}

export interface RequirementsText {
  text: string;
  /** 1-based line of each requirement's first physical line, by name. */
  lines: Map<string, number>;
}

/**
 * A requirements file the way `pip-compile --generate-hashes` writes it: a
 * comment header, each requirement with its hashes on continuation lines,
 * `# via` comments; `includes` become `-r FILE` lines after the header.
 */
export function requirementsText(reqs: Requirement[], includes: string[] = []): RequirementsText {
  const out = [
    "#",
    "# This file is autogenerated by pip-compile with Python 3.12",
    "# by the following command:",
    "#",
    "#    pip-compile --generate-hashes requirements.in",
    "#",
    ...includes.map((f) => `-r ${f}`),
  ];
  const lines = new Map<string, number>();
  for (const r of reqs) {
    lines.set(r.name, out.length + 1);
    let head = r.version === undefined ? r.name : `${r.name}==${r.version}`;
    if (r.marker !== undefined) head += ` ; ${r.marker}`;
    const hashes = r.hashes ?? [];
    out.push(hashes.length > 0 ? `${head} \\` : head);
    hashes.forEach((h, i) =>
      out.push(`    --hash=sha256:${h}${i < hashes.length - 1 ? " \\" : ""}`),
    );
    if (r.via !== undefined) out.push(`    # via ${r.via}`);
  }
  return { text: out.join("\n") + "\n", lines };
}

export interface LockFile {
  filename: string;
  url: string;
  sha256: string;
  size?: number;
}

export interface LockPackage {
  name: string;
  version: string;
  sdist?: LockFile;
  wheels: LockFile[];
  /** PEP 751 attestation-identities (pylock only). */
  identities?: Record<string, string>[];
}

export interface LockText {
  text: string;
  /** 1-based line of each package's `[[...]]` header, by name. */
  lines: Map<string, number>;
}

const q = (s: string): string => JSON.stringify(s);

/** A PEP 751 pylock.toml for index packages, plus editable directories that are not verified. */
export function pylockText(
  indexUrl: string,
  packages: LockPackage[],
  editable: string[] = [],
): LockText {
  const out = ['lock-version = "1.0"', 'created-by = "pyprov-tests"', 'requires-python = ">=3.9"'];
  const lines = new Map<string, number>();
  const file = (f: LockFile): string =>
    `{ name = ${q(f.filename)}, url = ${q(f.url)}, size = ${f.size ?? 0}, hashes = { sha256 = ${q(f.sha256)} } }`;
  for (const p of packages) {
    out.push("");
    lines.set(p.name, out.length + 1);
    out.push("[[packages]]", `name = ${q(p.name)}`, `version = ${q(p.version)}`);
    out.push(`index = ${q(indexUrl)}`);
    if (p.sdist) out.push(`sdist = ${file(p.sdist)}`);
    if (p.wheels.length > 0) out.push("wheels = [", ...p.wheels.map((w) => `    ${file(w)},`), "]");
    for (const id of p.identities ?? []) {
      out.push("", "[[packages.attestation-identities]]");
      for (const [k, v] of Object.entries(id)) out.push(`${k} = ${q(v)}`);
    }
  }
  for (const name of editable) {
    out.push("");
    lines.set(name, out.length + 1);
    out.push("[[packages]]", `name = ${q(name)}`, 'directory = { path = ".", editable = true }');
  }
  return { text: out.join("\n") + "\n", lines };
}

/** A uv.lock (version 1) with registry packages and editable ones (which uv skips). */
export function uvLockText(
  indexUrl: string,
  packages: LockPackage[],
  editable: { name: string; version: string; path?: string }[] = [],
): LockText {
  const out = ["version = 1", "revision = 2", 'requires-python = ">=3.9"'];
  const lines = new Map<string, number>();
  const file = (f: LockFile): string =>
    `{ url = ${q(f.url)}, hash = ${q(`sha256:${f.sha256}`)}, size = ${f.size ?? 0} }`;
  for (const e of editable) {
    out.push("");
    lines.set(e.name, out.length + 1);
    out.push("[[package]]", `name = ${q(e.name)}`, `version = ${q(e.version)}`);
    out.push(`source = { editable = ${q(e.path ?? ".")} }`);
  }
  for (const p of packages) {
    out.push("");
    lines.set(p.name, out.length + 1);
    out.push("[[package]]", `name = ${q(p.name)}`, `version = ${q(p.version)}`);
    out.push(`source = { registry = ${q(indexUrl)} }`);
    if (p.sdist) out.push(`sdist = ${file(p.sdist)}`);
    if (p.wheels.length > 0) out.push("wheels = [", ...p.wheels.map((w) => `    ${file(w)},`), "]");
  }
  return { text: out.join("\n") + "\n", lines };
}

// --- running the CLI ----------------------------------------------------------

/** The parts of the JSON report the pipeline tests read. */
export interface JsonResult {
  target: {
    filename: string;
    sha256: string;
    project?: string;
    version?: string;
    url?: string;
    origin?: { file: string; line: number };
  };
  verdict: "verified" | "failed" | "missing" | "error";
  failure?: { code: string; message: string };
  error?: { code: string; message: string };
  warnings: string[];
  checks: { id: string; ok: boolean; code?: string }[];
  attestations: { ok: boolean; checks: { id: string; ok: boolean; code?: string }[] }[];
}

export interface JsonDoc {
  exitCode: number;
  summary: { total: number; verified: number; failed: number; missing: number; errors: number };
  results: JsonResult[];
  /** Entries with no index provenance by nature (editable, VCS, path, URL). */
  skipped?: { name: string; reason: string; origin?: { file: string; line: number } }[];
}

export interface CliJsonRun extends CliResult {
  doc: JsonDoc;
}

/** `pyprov verify ARGS --format json` in-process, parsed. */
export async function verifyJson(args: string[]): Promise<CliJsonRun> {
  const r = await runCli(["verify", ...args, "--format", "json"]);
  let doc: JsonDoc;
  try {
    doc = JSON.parse(r.stdout) as JsonDoc;
  } catch {
    throw new Error(`no JSON report (exit ${r.code}): ${r.stderr}${r.stdout}`);
  }
  return { ...r, doc };
}

/** Verdict summary per file name, sorted: "name verdict code". */
export function verdicts(results: JsonResult[]): string[] {
  return results
    .map((r) =>
      [r.target.filename, r.verdict, r.failure?.code ?? r.error?.code ?? ""].join(" ").trim(),
    )
    .sort();
}
