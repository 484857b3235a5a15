#!/usr/bin/env node
/**
 * Run the sigstore-conformance suite's bundle-verify cases through the built
 * CLI (`bin/pyprov.js verify-bundle`), the way the suite's harness
 * (test/client.py, test/conftest.py) invokes a client:
 *
 *   verify-bundle --bundle DIR/bundle.sigstore.json
 *     (--key DIR/key.pub | --certificate-identity ID --certificate-oidc-issuer ISS)
 *     [--trusted-root DIR/trusted_root.json]
 *     ARTIFACT | sha256:HEX
 *
 * Every directory under bundle-verify/ is a case, run twice: PATH mode (the
 * artifact file) and DIGEST mode (sha256 of its bytes). The artifact is
 * DIR/artifact, else bundle-verify/a.txt relative to the assets directory
 * (the harness's working directory). The identity and issuer are DIR/identity
 * and DIR/issuer (whitespace-trimmed), else the suite's defaults. A case
 * whose name ends in "fail" passes when the client exits non-zero; any other
 * case passes when it exits 0.
 *
 * Usage: node scripts/conformance.mjs [SUITE_DIR]   (or PYPROV_CONFORMANCE_DIR)
 * SUITE_DIR is a checkout or export of sigstore-conformance (or its
 * test/assets, or test/assets/bundle-verify). `npm run build` first.
 * Each run gets an empty cache directory, so a case without its own
 * trusted_root.json is verified against pyprov's bundled production root.
 * Prints one line per run, then "N passed, N failed"; exits 1 on any failure,
 * 2 when the suite or the CLI cannot be found.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const CERTIFICATE_IDENTITY =
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/" +
  "workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const CERTIFICATE_OIDC_ISSUER = "https://token.actions.githubusercontent.com";
const CASE_TIMEOUT_MS = 120_000;

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "pyprov.js");

function die(message) {
  process.stderr.write(`conformance: ${message}\n`);
  process.exit(2);
}

/** The bundle-verify directory inside whatever the user pointed at. */
function findCasesDir(dir) {
  for (const sub of ["test/assets/bundle-verify", "assets/bundle-verify", "bundle-verify", "."]) {
    const candidate = resolve(dir, sub);
    if (existsSync(join(candidate, "a.txt")) && basename(candidate) === "bundle-verify") {
      return candidate;
    }
  }
  return undefined;
}

const isFile = (p) => existsSync(p) && statSync(p).isFile();
const readTrimmed = (p) => readFileSync(p, "utf8").trim();

/** The runs of one case directory: PATH and DIGEST, as the harness builds them. */
function runsOf(casesDir, name) {
  const dir = join(casesDir, name);
  const args = ["verify-bundle", "--bundle", join(dir, "bundle.sigstore.json")];
  if (isFile(join(dir, "key.pub"))) {
    args.push("--key", join(dir, "key.pub"));
  } else {
    const identity = isFile(join(dir, "identity"))
      ? readTrimmed(join(dir, "identity"))
      : CERTIFICATE_IDENTITY;
    const issuer = isFile(join(dir, "issuer"))
      ? readTrimmed(join(dir, "issuer"))
      : CERTIFICATE_OIDC_ISSUER;
    args.push("--certificate-identity", identity, "--certificate-oidc-issuer", issuer);
  }
  if (isFile(join(dir, "trusted_root.json"))) {
    args.push("--trusted-root", join(dir, "trusted_root.json"));
  }
  // Relative to the harness's working directory (the assets directory).
  const artifact = isFile(join(dir, "artifact"))
    ? join(dir, "artifact")
    : join("bundle-verify", "a.txt");
  const digest = createHash("sha256")
    .update(readFileSync(resolve(dirname(casesDir), artifact)))
    .digest("hex");
  const mustFail = name.endsWith("fail");
  return [
    { name, mode: "PATH", mustFail, args: [...args, artifact] },
    { name, mode: "DIGEST", mustFail, args: [...args, `sha256:${digest}`] },
  ];
}

function run(job, cwd, env) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...job.args], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), CASE_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? `killed by ${signal}` : "unknown"), out });
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      done({ code: "spawn error", out: String(err) });
    });
  });
}

/** The line of output that says why (the verdict or the error), for a failing run. */
function reason(out) {
  const lines = out.split("\n").filter((l) => l.trim() !== "" && !/warning:/.test(l));
  return (lines.find((l) => /✗|error|fail/i.test(l)) ?? lines[0] ?? "").trim().slice(0, 300);
}

async function main() {
  const given = process.argv[2] ?? process.env.PYPROV_CONFORMANCE_DIR;
  if (!given) {
    die(
      "give the sigstore-conformance directory (argument or PYPROV_CONFORMANCE_DIR), e.g. " +
        "git --git-dir=REPO archive HEAD test/assets | tar -x -C /tmp/conf && npm run conformance -- /tmp/conf",
    );
  }
  const casesDir = findCasesDir(given);
  if (!casesDir) die(`no test/assets/bundle-verify (with a.txt) under ${given}`);
  if (!existsSync(join(root, "dist", "cli.js"))) die("the CLI is not built: run `npm run build`");

  const names = readdirSync(casesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const jobs = names.flatMap((n) => runsOf(casesDir, n));
  const cache = mkdtempSync(join(tmpdir(), "pyprov-conformance-"));
  const env = { ...process.env, PYPROV_CACHE_DIR: cache };
  const cwd = dirname(casesDir);
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await run(jobs[i], cwd, env);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }

  let passed = 0;
  let failed = 0;
  jobs.forEach((job, i) => {
    const { code, out } = results[i];
    const ok = job.mustFail ? code !== 0 : code === 0;
    const expected = job.mustFail ? "must fail" : "must verify";
    if (ok) passed++;
    else failed++;
    const line = `${ok ? "pass" : "FAIL"}  ${job.name} [${job.mode}] (${expected}, exit ${code})`;
    process.stdout.write(ok ? `${line}\n` : `${line}: ${reason(out)}\n`);
  });
  process.stdout.write(`${names.length} cases, ${jobs.length} runs (PATH and DIGEST)\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
