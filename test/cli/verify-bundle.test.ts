/**
 * `pyprov verify-bundle`: every corpus Sigstore bundle verifies with its
 * manifest identity and fails (exit 1) with a wrong identity, wrong issuer, a
 * regexp that only matches unanchored, a wrong digest, a tampered signature
 * or the wrong trusted root; bad input and usage exit 2; --key bundles; the
 * stale-root warning; the real binary.
 */
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLED_ROOT_DAY, daysAfterBundled } from "../support/bundled-root.js";
import { runCli, spawnCli } from "../support/cli.js";
import { trustedRootPath } from "../support/corpus.js";
import { Workspace } from "../support/synthetic.js";
import {
  corpusBundleCases,
  ecKey,
  flipBase64,
  keyBundle,
  readJson,
  type CorpusBundleCase,
  type Json,
} from "../bundle/helpers.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

/** A fresh, empty cache and a "now" at which the bundled root is not stale. */
const env = (): NodeJS.ProcessEnv => ({
  PYPROV_CACHE_DIR: ws.subdir(),
  PYPROV_NOW: daysAfterBundled(30),
});

const base = (c: CorpusBundleCase, bundle = c.bundlePath): string[] => [
  "verify-bundle",
  "--bundle",
  bundle,
  ...(c.trustedRoot ? ["--trusted-root", c.trustedRoot] : []),
];
const ident = (c: CorpusBundleCase): string[] => [
  "--certificate-identity",
  c.identity,
  "--certificate-oidc-issuer",
  c.issuer,
];
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function failed(args: string[], reason: RegExp): Promise<void> {
  const r = await runCli(args, env());
  expect(r.code, r.stderr + r.stdout).toBe(1);
  expect(r.stdout).toMatch(/^✗ .+: .+\n$/);
  expect(r.stdout).toMatch(reason);
  expect(r.stderr).toBe("");
}

describe("corpus bundles", () => {
  for (const c of corpusBundleCases()) {
    describe(c.bundlePath.split("/").pop()!, () => {
      it("verifies with the manifest identity and issuer (exit 0)", async () => {
        const r = await runCli([...base(c), ...ident(c), c.artifactArg], env());
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe(`✓ ${c.artifactArg} verified: ${c.identity} (${c.issuer})\n`);
        expect(r.code).toBe(0);
      });

      it("fails with a wrong identity, wrong issuer or unanchored-only regexp (exit 1)", async () => {
        const iss = ["--certificate-oidc-issuer", c.issuer];
        await failed(
          [...base(c), "--certificate-identity", c.identity.toUpperCase(), ...iss, c.artifactArg],
          /certificate identity does not match/,
        );
        await failed(
          [
            ...base(c),
            "--certificate-identity",
            c.identity,
            "--certificate-oidc-issuer",
            "https://issuer.example",
            c.artifactArg,
          ],
          /OIDC issuer does not match/,
        );
        const inner = escape(c.identity.slice(2, -2));
        await failed(
          [...base(c), "--certificate-identity-regexp", inner, ...iss, c.artifactArg],
          /identity does not match: expected a match for/,
        );
        const r = await runCli(
          [...base(c), "--certificate-identity-regexp", `..${inner}..`, ...iss, c.artifactArg],
          env(),
        );
        expect(r.code, r.stdout).toBe(0);
      });

      it("fails for a wrong digest (exit 1)", async () => {
        const other = createHash("sha256").update(c.sha256).digest("hex");
        await failed([...base(c), ...ident(c), `sha256:${other}`], /sha256/);
      });

      it("fails when the signature is tampered with (exit 1)", async () => {
        const b = readJson(c.bundlePath);
        if (b.messageSignature) {
          const ms = b.messageSignature as { signature: string };
          ms.signature = flipBase64(ms.signature);
        } else {
          const env = b.dsseEnvelope as { signatures: { sig: string }[] };
          env.signatures[0]!.sig = flipBase64(env.signatures[0]!.sig);
        }
        const path = ws.file("tampered.sigstore", JSON.stringify(b));
        await failed(
          [...base(c, path), ...ident(c), c.artifactArg],
          /signature|Rekor entry|timestamp/,
        );
      });

      it("fails against the wrong trusted root (exit 1)", async () => {
        const wrong = trustedRootPath(c.instance === "staging" ? "production" : "staging");
        await failed(
          [
            "verify-bundle",
            "--bundle",
            c.bundlePath,
            "--trusted-root",
            wrong,
            ...ident(c),
            c.artifactArg,
          ],
          /Fulcio|certificate|timestamp|Rekor/,
        );
      });
    });
  }
});

describe("output and exit codes", () => {
  const c = corpusBundleCases().find((x) => x.caseName === "sigstore-python-bundle_v3_github-whl")!;

  it("--format json describes the run", async () => {
    const r = await runCli([...base(c), ...ident(c), "--format", "json", c.artifactArg], env());
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, Json>;
    expect(doc).toMatchObject({
      schemaVersion: 1,
      command: "verify-bundle",
      exitCode: 0,
      verified: true,
      artifact: { path: c.artifactArg, sha256: c.sha256 },
      bundle: { content: "messageSignature", signer: "certificate" },
      trustedRoot: { origin: "bundled", instance: "production" },
      signer: { type: "certificate", identity: c.identity, issuer: c.issuer },
      signatureOver: "artifact",
      logEntries: [{ kind: "hashedrekord 0.0.1", logIndex: "79605083" }],
    });
    const bad = await runCli(
      [
        ...base(c),
        "--certificate-identity",
        "x",
        "--certificate-oidc-issuer",
        c.issuer,
        "--format",
        "json",
        c.artifactArg,
      ],
      env(),
    );
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      verified: false,
      exitCode: 1,
      failure: { code: "EXPECTATION_MISMATCH" },
    });
  });

  it("usage and input problems exit 2 with one line on stderr", async () => {
    const mediaType = ws.file(
      "mt.sigstore",
      JSON.stringify({
        ...readJson(c.bundlePath),
        mediaType: "application/vnd.dev.sigstore.bundle.v0.9+json",
      }),
    );
    const cases: [string[], RegExp][] = [
      [["verify-bundle", ...ident(c), c.artifactArg], /--bundle FILE is required/],
      [[...base(c), c.artifactArg], /say who must have signed/],
      [
        [
          ...base(c),
          "--certificate-identity-regexp",
          "(",
          "--certificate-oidc-issuer",
          "x",
          c.artifactArg,
        ],
        /not a valid regular expression/,
      ],
      [[...base(c), ...ident(c), "sha256:1234"], /64 hexadecimal digits/],
      [[...base(c), ...ident(c), "/nonexistent/artifact"], /no such file/],
      [
        ["verify-bundle", "--bundle", mediaType, ...ident(c), c.artifactArg],
        /unsupported bundle media type/,
      ],
      [
        ["verify-bundle", "--bundle", "/nonexistent.sigstore", ...ident(c), c.artifactArg],
        /no such file/,
      ],
      [[...base(c), "--staging", ...ident(c), c.artifactArg], /no staging trusted root/],
      [[...base(c), ...ident(c), "--format", "yaml", c.artifactArg], /yaml/],
    ];
    for (const [args, match] of cases) {
      const r = await runCli(args, env());
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^pyprov: [^\n]+\n$/);
      expect(r.stderr).toMatch(match);
    }
  });

  it("warns once on stderr when the bundled root is older than 180 days", async () => {
    const args = [...base(c), ...ident(c), c.artifactArg];
    const r = await runCli(args, { ...env(), PYPROV_NOW: daysAfterBundled(430) });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `pyprov: warning: the bundled trusted root is 430 days old (dated ${BUNDLED_ROOT_DAY}); run \`pyprov trust-root update\` to refresh it through TUF\n`,
    );
    const withRoot = await runCli(
      [
        "verify-bundle",
        "--bundle",
        c.bundlePath,
        "--trusted-root",
        trustedRootPath("production"),
        ...ident(c),
        c.artifactArg,
      ],
      { ...env(), PYPROV_NOW: daysAfterBundled(430) },
    );
    expect(withRoot.stderr).toBe("");
  });
});

describe("--key", () => {
  const root = ws.writeRoot();
  const artifact = Buffer.from("signed with a key\n");
  const key = ecKey();
  const keyPath = ws.file("key.pem", key.pem);
  const fp = createHash("sha256").update(key.spki).digest("hex");

  for (const content of ["messageSignature", "dsseEnvelope"] as const) {
    it(`${content}: verifies with the right key, fails with another`, async () => {
      const bundle = ws.file(
        "key.sigstore.json",
        JSON.stringify(keyBundle(ws.ss, { content, rekor: "v1", artifact, key })),
      );
      const art = ws.file("artifact.txt", artifact);
      const ok = await runCli(
        ["verify-bundle", "--bundle", bundle, "--key", keyPath, "--trusted-root", root, art],
        env(),
      );
      expect(ok.stdout).toBe(`✓ ${art} verified: public key sha256:${fp}\n`);
      expect(ok.code).toBe(0);
      const other = ws.file("other.pem", ecKey().pem);
      const bad = await runCli(
        ["verify-bundle", "--bundle", bundle, "--key", other, "--trusted-root", root, art],
        env(),
      );
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^✗ /);
    });
  }
});

describe("the built binary", () => {
  const c = corpusBundleCases().find(
    (x) => x.caseName === "tob-pypi_attestation_models-0.0.4a2-sdist",
  )!;
  it("verifies, fails and refuses with the documented exit codes", () => {
    const ok = spawnCli([...base(c), ...ident(c), c.artifactArg], env());
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^✓ /);
    const bad = spawnCli(
      [
        ...base(c),
        "--certificate-identity",
        "x",
        "--certificate-oidc-issuer",
        c.issuer,
        c.artifactArg,
      ],
      env(),
    );
    expect(bad.code).toBe(1);
    const usage = spawnCli(["verify-bundle", "--bundle", c.bundlePath, c.artifactArg], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^pyprov: /);
  });
});
