/**
 * A scratch workspace for end-to-end tests on synthetic attestations: a temp
 * directory holding a trusted root for the shared TestSigstore, distribution
 * files of random bytes, and their PEP 740 sidecars.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { runCli, type CliResult } from "./cli.js";
import { TestSigstore, githubIdentity, provenance } from "./sigstore/index.js";
import type {
  AttestOptions,
  Identity,
  Pep740Attestation,
  TrustedRootOptions,
} from "./sigstore/index.js";

export const DIST_NAME = "acme_pkg-1.0.0-py3-none-any.whl";

/** The default identity: GitHub-hosted, acme/pkg, release.yml, environment "pypi". */
export const ACME_GITHUB: Identity = githubIdentity({
  repository: "acme/pkg",
  workflow: "release.yml",
  ref: "refs/tags/v1.0.0",
  environment: "pypi",
});

/** The SAN of ACME_GITHUB and its human identity line. */
export const ACME_SAN =
  "https://github.com/acme/pkg/.github/workflows/release.yml@refs/tags/v1.0.0";
export const ACME_LINE =
  "github:acme/pkg workflow=.github/workflows/release.yml ref=refs/tags/v1.0.0 env=pypi";

export interface Dist {
  path: string;
  filename: string;
  sha256: string;
}

/** A distribution plus the attest() options that describe it (filename, sha256). */
export type AttestFor = Omit<AttestOptions, "filename" | "sha256"> &
  Partial<Pick<AttestOptions, "filename" | "sha256">>;

export class Workspace {
  readonly ss = TestSigstore.shared();
  readonly dir: string;
  /** The default trusted root (every entry genuine), written to disk. */
  readonly root: string;
  private n = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "pyprov-synthetic-"));
    this.root = this.writeRoot();
  }

  /** Write a trusted root for the shared instance; returns its path. */
  writeRoot(opts: TrustedRootOptions = {}, name = `trusted_root.${this.n++}.json`): string {
    const path = join(this.dir, name);
    writeFileSync(path, JSON.stringify(this.ss.trustedRoot(opts)));
    return path;
  }

  /** A fresh subdirectory, so that sidecars of equally named DISTs never meet. */
  subdir(): string {
    const d = join(this.dir, `d${this.n++}`);
    mkdirSync(d);
    return d;
  }

  /** A distribution of random bytes, in its own subdirectory. */
  dist(filename = DIST_NAME, dir = this.subdir()): Dist {
    const bytes = randomBytes(4096);
    const path = join(dir, filename);
    writeFileSync(path, bytes);
    return { path, filename, sha256: createHash("sha256").update(bytes).digest("hex") };
  }

  /** An attestation for `dist` (identity ACME_GITHUB unless given). */
  attest(dist: Dist, o: AttestFor = {}): Pep740Attestation {
    return this.ss.attest({
      identity: ACME_GITHUB,
      ...o,
      filename: o.filename ?? dist.filename,
      sha256: o.sha256 ?? dist.sha256,
    });
  }

  /** Write DIST.provenance with one bundle; publisher defaults to the identity's own. */
  writeProvenance(
    dist: Dist,
    attestations: Pep740Attestation[],
    publisher: Record<string, unknown> = ACME_GITHUB.publisher ?? {},
  ): string {
    return this.writeJson(`${dist.path}.provenance`, provenance([{ publisher, attestations }]));
  }

  /** Write DIST.publish.attestation (or another suffix). */
  writeAttestation(dist: Dist, att: Pep740Attestation, suffix = ".publish.attestation"): string {
    return this.writeJson(`${dist.path}${suffix}`, att);
  }

  writeJson(path: string, value: unknown): string {
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
    return path;
  }

  /** A file in the workspace with the given content. */
  file(name: string, content: string | Buffer): string {
    const path = join(this.subdir(), name);
    writeFileSync(path, content);
    return path;
  }

  /** A DIST with a clean DIST.provenance for `identity` (its own publisher object). */
  attested(identity: Identity = ACME_GITHUB, o: AttestFor = {}, filename = DIST_NAME): Dist {
    const dist = this.dist(filename);
    this.writeProvenance(dist, [this.attest(dist, { identity, ...o })], identity.publisher);
    return dist;
  }

  /**
   * `pyprov verify ARGS --trusted-root ROOT` in-process. Unless ARGS pick a
   * format, the one-line-per-file view (`--format lines`), whose lines carry
   * the whole publisher identity these tests assert on.
   */
  verify(args: string[], root = this.root): Promise<CliResult> {
    const format = args.includes("--format") ? [] : ["--format", "lines"];
    return runCli(["verify", ...args, ...format, "--trusted-root", root]);
  }

  /** As verify(), with --format json, parsed. */
  async verifyJson(args: string[], root = this.root): Promise<JsonRun> {
    const r = await this.verify([...args, "--format", "json"], root);
    return { ...r, doc: JSON.parse(r.stdout) as VerifyDoc };
  }

  /** Verify (JSON); expect exit 1, a failed verdict with `code` and a reason containing `reason`. */
  async expectFailed(
    args: string[],
    code: string,
    reason: string,
    root = this.root,
  ): Promise<JsonRun> {
    const run = await this.verifyJson(args, root);
    const r = only(run);
    expect(r.verdict, run.stdout).toBe("failed");
    expect(r.failure?.code).toBe(code);
    expect(r.failure?.message).toContain(reason);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    return run;
  }

  /** Verify (JSON); expect exit 0 and a verified verdict. */
  async expectVerified(args: string[], root = this.root): Promise<JsonRun> {
    const run = await this.verifyJson(args, root);
    const r = only(run);
    expect(r.failure, run.stdout).toBeUndefined();
    expect(r.verdict).toBe("verified");
    expect(run.code).toBe(0);
    return run;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The parts of the JSON report these tests read. */
export interface VerifyDoc {
  exitCode: number;
  summary: { total: number; verified: number; failed: number; errors: number };
  results: {
    target: { filename: string; sha256: string };
    verdict: "verified" | "failed" | "error";
    failure?: { code: string; message: string };
    error?: { code: string; message: string };
    warnings: string[];
    identity?: Record<string, string | undefined>;
    attestations: { ok: boolean; predicateType?: string; checks: { id: string; ok: boolean }[] }[];
  }[];
}

export interface JsonRun extends CliResult {
  doc: VerifyDoc;
}

/** The single result of a one-DIST JSON run. */
export function only(run: JsonRun): VerifyDoc["results"][number] {
  expect(run.doc.results, run.stdout).toHaveLength(1);
  return run.doc.results[0]!;
}

/** A sparse file (100 MB by default): created instantly, never read by a correct pyprov. */
export function sparseFile(path: string, bytes = 100 * 1024 * 1024): string {
  const fd = openSync(path, "w");
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** C0 control characters other than tab and newline, or DEL (terminal escapes and the like). */
export function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) return true;
  }
  return false;
}

/**
 * No verdict: exit 2, exactly `lines` non-empty lines on stderr (the first
 * "pyprov: …") mentioning each of `mentions`, no stack trace, and no ✓.
 */
export function expectInputError(r: CliResult, mentions: string[], lines = 1): void {
  expect(r.code, r.stderr + r.stdout).toBe(2);
  expect(r.stderr.endsWith("\n")).toBe(true);
  const errLines = r.stderr.slice(0, -1).split("\n");
  expect(errLines, r.stderr).toHaveLength(lines);
  expect(errLines.every((l) => l.trim() !== "")).toBe(true);
  expect(errLines[0]).toMatch(/^pyprov: \S/);
  for (const m of mentions) expect(r.stderr).toContain(m);
  expect(noStackTrace(r.stderr), r.stderr).toBe(true);
  expect(noStackTrace(r.stdout), r.stdout).toBe(true);
  expect(r.stdout).not.toContain("✓");
}

/** stderr/stdout must not show a stack trace or a raw Error prefix. */
export function noStackTrace(text: string): boolean {
  return !/\n\s+at /.test(text) && !text.includes("    at ") && !/\b\w*Error: /.test(text);
}
