/**
 * The pyprov command line. Parses flags, runs the pipeline, renders the
 * result, and maps outcomes to exit codes:
 *   0 every target verified and met the expectations
 *   1 at least one target failed
 *   2 no verdict could be reached (usage, unreadable/malformed input, trust root)
 */
import { Command, CommanderError, Option } from "commander";
import { PyprovError, describeError } from "../errors.js";
import { pyprovVersion } from "../paths.js";
import { oneLine } from "../util/text.js";
import { addServeOptions } from "./serve-options.js";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stdout is a terminal (colour). */
  isTTY: boolean;
  /** stderr is a terminal (progress line). */
  isStderrTTY?: boolean;
  env: NodeJS.ProcessEnv;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const TIMEOUT_HELP =
  "deadline of each index request, connect to last byte (default 30; downloads: +4 s per MiB received); hitting it is a retried network fault";
const STATE_HELP =
  "state store: sqlite:PATH or postgres://USER:PASSWORD@HOST/DB (default: $PYPROV_STATE, else sqlite under the cache directory)";
const DEADLINE_HELP =
  "deadline of the whole run's index requests (default 60 x --timeout); after it every request fails (exit 2)";

/** The flags `policy init` and `policy diff` share with `verify` for observing publishers. */
function withObserveFlags(cmd: Command): Command {
  return cmd
    .option("--provenance <FILE>", "provenance file for one local distribution")
    .option("--attestation <FILE>", "attestation file for one local distribution", collect)
    .addOption(
      new Option("--only <KIND>", "observe only wheels or only sdists").choices(["wheel", "sdist"]),
    )
    .option("--index-url <URL>", "package index (default: $PIP_INDEX_URL, $UV_INDEX_URL, PyPI)")
    .option("--timeout <SECONDS>", TIMEOUT_HELP)
    .option("--deadline <SECONDS>", DEADLINE_HELP)
    .option("--offline", "use only the cache and local files; never the network")
    .option("--cache-dir <DIR>", "provenance cache directory")
    .option("--no-cache", "neither read nor write the provenance cache")
    .option(
      "--trusted-root <FILE>",
      "Sigstore trusted_root.json (default: bundled production root)",
    );
}

/** `argv`: the arguments as given (the `run` command checks where its `--` is). */
export function buildProgram(
  io: Io,
  setExit: (code: number) => void,
  argv: readonly string[] = [],
): Command {
  const program = new Command();
  program
    .name("pyprov")
    .description(
      "Verify that Python distributions come from where they claim (PEP 740 attestations).",
    )
    .version(pyprovVersion(), "-V, --version")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`pyprov: ${oneLine(s.replace(/^error: /, ""))}\n`),
    });

  program
    .command("verify")
    .description("verify distributions against their PEP 740 attestations")
    .argument(
      "[TARGET...]",
      "distribution files (.whl, .tar.gz, .zip), NAME==VERSION, NAME (latest release), pypi:FILENAME or a file URL",
    )
    .option(
      "-r, --requirement <FILE>",
      "verify every requirement of a requirements file (repeatable)",
      collect,
    )
    .option("--lock <FILE>", "verify every file of a pylock.toml or uv.lock (repeatable)", collect)
    .option(
      "--pip-report <FILE>",
      "verify every file of pip's installation report (pip install --dry-run --report FILE; - for standard input; repeatable)",
      collect,
    )
    .option(
      "--installed [PATH...]",
      "verify installed distributions against their wheels: site-packages folders, virtual environments or root filesystems (default: python3's environment)",
    )
    .option(
      "--provenance <FILE>",
      "provenance file (the Integrity API body) for one local distribution",
    )
    .option(
      "--attestation <FILE>",
      "attestation file for one local distribution (repeatable)",
      collect,
    )
    .option("--filename <NAME>", "verify a distribution known only by name (with --sha256)")
    .option("--sha256 <HEX>", "the distribution's sha256 (with --filename)")
    .option(
      "--repository <OWNER/NAME>",
      "expected source repository: OWNER/NAME or https://github.com/OWNER/NAME (GitHub), gitlab:GROUP/PROJECT or https://gitlab.com/GROUP/PROJECT (GitLab)",
    )
    .option("--workflow <FILE>", "expected workflow file (e.g. release.yml) or path")
    .option("--environment <NAME>", "expected deployment environment")
    .option("--issuer <URL>", "expected OIDC issuer")
    .option("--identity <VALUE>", "expected certificate identity (exact SAN: URI or e-mail)")
    .addOption(
      new Option("--only <KIND>", "verify only wheels or only sdists").choices(["wheel", "sdist"]),
    )
    .option(
      "--index-url <URL>",
      "package index (default: $PIP_INDEX_URL, $UV_INDEX_URL, https://pypi.org/simple/)",
    )
    .option("--timeout <SECONDS>", TIMEOUT_HELP)
    .option("--deadline <SECONDS>", DEADLINE_HELP)
    .option(
      "--download",
      "download index files and hash their bytes instead of trusting pinned digests",
    )
    .option("--allow-missing", "a file without provenance is a warning (SLSA L0), not a failure")
    .option(
      "--policy <FILE>",
      "policy file (YAML or JSON): publishers, minimum SLSA levels and exceptions per package",
    )
    .option(
      "--history [N]",
      "compare each package's publisher with its N previous releases (default 5) and check its name for look-alikes",
    )
    .option("--no-lookalike", "with --history: skip the look-alike name checks")
    .option("--offline", "use only the cache and local files; never the network")
    .option(
      "--cache-dir <DIR>",
      "provenance cache (default: $PYPROV_CACHE_DIR, $XDG_CACHE_HOME/pyprov, ~/.cache/pyprov)",
    )
    .option("--no-cache", "neither read nor write the provenance cache")
    .option("--concurrency <N>", "requests in flight at once (default 16)")
    .option(
      "--workers <N>",
      "verification threads: a number, or auto (default: for 32+ targets, all cores but one, with this thread verifying whatever they have no room for)",
    )
    .option(
      "--trusted-root <FILE>",
      "Sigstore trusted_root.json (default: bundled production root)",
    )
    .addOption(
      new Option("--format <FORMAT>", "output format (table: the human report as a table)")
        .choices(["human", "json", "sarif", "vsa", "cyclonedx", "lines", "table"])
        .default("human"),
    )
    .option(
      "-o, --output <FILE>",
      "write the report to FILE (atomically); stdout then shows only failures, warnings and the summary",
    )
    .option("-q, --quiet", "human and table formats: only failures, warnings and the summary line")
    .action(async (targets: string[], opts: Record<string, unknown>) => {
      const { runVerify } = await import("./verify.js");
      setExit(await runVerify(targets, opts, io));
    });

  addServeOptions(
    program
      .command("serve")
      .description(
        "run a PEP 503/691 index in front of an upstream index that lists only verified files (for pip)",
      ),
    "8750",
  ).action(async (opts: Record<string, unknown>) => {
    const { runServe } = await import("./serve.js");
    setExit(await runServe(opts, io));
  });

  addServeOptions(
    program
      .command("run")
      .description(
        "run an install command (pip, uv) with the verifying index in front of it: only verified files reach it",
      )
      .argument("[COMMAND...]", "the command, after --: pyprov run [options] -- pip install ...")
      .usage("[options] -- COMMAND [ARGS...]")
      .allowUnknownOption(),
    "0",
  )
    .option(
      "--allow-bypass",
      "run even when the command or its requirements files name another index, find-links or direct URLs (warned, not refused)",
    )
    .addOption(
      new Option(
        "--format <FORMAT>",
        "json: write the proxy's decisions as a verify JSON report to --output",
      )
        .choices(["human", "json"])
        .default("human"),
    )
    .option("-o, --output <FILE>", "with --format json: the report file (written atomically)")
    .action(async (command: string[], opts: Record<string, unknown>) => {
      const sep = argv.indexOf("--");
      const after = sep === -1 ? [] : argv.slice(sep + 1);
      const separated =
        sep !== -1 && after.length === command.length && after.every((a, i) => a === command[i]);
      const { runRun } = await import("./run.js");
      setExit(await runRun({ command, separated }, opts, io));
    });

  program
    .command("inspect")
    .description("decode an attestation or provenance file for a person (does NOT verify)")
    .argument("<FILE>", "attestation or provenance file")
    .addOption(
      new Option("--format <FORMAT>", "output format").choices(["human", "json"]).default("human"),
    )
    .action(async (file: string, opts: { format: "human" | "json" }) => {
      const { runInspect } = await import("./inspect.js");
      setExit(runInspect(file, opts, io));
    });

  program
    .command("verify-bundle")
    .description("verify any artifact's Sigstore bundle (Sigstore conformance argument shape)")
    .argument("<FILE_OR_DIGEST>", "the artifact file, or sha256:HEX")
    .option("--bundle <FILE>", "the Sigstore bundle (media type v0.1, v0.2 or v0.3)")
    .option("--certificate-identity <ID>", "expected certificate identity (exact SAN)")
    .option(
      "--certificate-identity-regexp <RE>",
      "expected identity as a pattern, anchored ^(?:RE)$",
    )
    .option("--certificate-oidc-issuer <URL>", "expected OIDC issuer (exact)")
    .option("--key <PEM>", "PEM public key file, for bundles signed with a key")
    .option("--trusted-root <FILE>", "Sigstore trusted_root.json (default: cached, else bundled)")
    .option(
      "--staging",
      "use the Sigstore staging trusted root (from `trust-root update --staging`)",
    )
    .addOption(
      new Option("--format <FORMAT>", "output format").choices(["human", "json"]).default("human"),
    )
    .action(async (artifact: string, opts: Record<string, unknown>) => {
      const { runVerifyBundle } = await import("./verify-bundle.js");
      setExit(await runVerifyBundle(artifact, opts, io));
    });

  const trustRoot = program
    .command("trust-root")
    .description("show or refresh the Sigstore trusted root");
  trustRoot
    .command("show")
    .description("say which trusted root is in use, where it comes from and how old it is")
    .option("--staging", "the staging root")
    .option("--trusted-root <FILE>", "show this trusted_root.json instead")
    .addOption(
      new Option("--format <FORMAT>", "output format").choices(["human", "json"]).default("human"),
    )
    .action(async (opts: Record<string, unknown>) => {
      const { runTrustRootShow } = await import("./trust-root.js");
      setExit(runTrustRootShow(opts, io));
    });
  trustRoot
    .command("update")
    .description("refresh the trusted root through TUF into the cache")
    .option("--staging", "the staging root (the first update needs --tuf-root)")
    .option("--mirror <URL>", "TUF repository URL (default: Sigstore's; env PYPROV_TUF_MIRROR)")
    .option("--tuf-root <FILE>", "TUF root.json to start from (trust anchor)")
    .action(async (opts: Record<string, unknown>) => {
      const { runTrustRootUpdate } = await import("./trust-root.js");
      setExit(await runTrustRootUpdate(opts, io));
    });

  const policy = program
    .command("policy")
    .description("write, check and describe policy files (see `--policy`)");
  policy
    .command("schema")
    .description("print the policy file's JSON Schema (for editors)")
    .action(async () => {
      const { runPolicySchema } = await import("./policy.js");
      setExit(runPolicySchema(io));
    });
  policy
    .command("check")
    .description("validate a policy file and explain what it allows")
    .argument("<FILE>", "policy file (YAML or JSON)")
    .option("--package <NAME>", "also say which rule and exceptions apply to this package")
    .addOption(
      new Option("--format <FORMAT>", "output format").choices(["human", "json"]).default("human"),
    )
    .action(async (file: string, opts: Record<string, unknown>) => {
      const { runPolicyCheck } = await import("./policy.js");
      setExit(runPolicyCheck(file, opts, io));
    });
  withObserveFlags(
    policy
      .command("init")
      .description("write a policy pinning the publishers observed now (trust on first use)")
      .argument(
        "[TARGET...]",
        "distribution files, NAME==VERSION, NAME, pypi:FILENAME or a file URL",
      )
      .option(
        "-r, --requirement <FILE>",
        "observe every requirement of a requirements file",
        collect,
      )
      .option("--lock <FILE>", "observe every file of a pylock.toml or uv.lock", collect)
      .option("-o, --output <FILE>", "policy file to write (- for stdout)", "pyprov.policy.yaml")
      .option("--force", "overwrite an existing policy file")
      .addOption(
        new Option("--format <FORMAT>", "policy file format (default: from the file name)").choices(
          ["yaml", "json"],
        ),
      ),
  ).action(async (targets: string[], opts: Record<string, unknown>) => {
    const { runPolicyInit } = await import("./policy.js");
    setExit(await runPolicyInit(targets, opts, io));
  });
  withObserveFlags(
    policy
      .command("diff")
      .description(
        "list every difference between the publishers a policy pins and those observed now (--write: update the pins)",
      )
      .argument("<POLICY>", "policy file (YAML or JSON)")
      .argument(
        "[TARGET...]",
        "distribution files, NAME==VERSION, NAME, pypi:FILENAME or a file URL",
      )
      .option(
        "-r, --requirement <FILE>",
        "observe every requirement of a requirements file",
        collect,
      )
      .option(
        "--lock <FILE>",
        "observe every file of a pylock.toml or uv.lock (its attestation-identities are compared too)",
        collect,
      )
      .option("--write", "update the policy's pins in place (comments kept; atomic)"),
  )
    .addOption(
      new Option("--format <FORMAT>", "output format").choices(["human", "json"]).default("human"),
    )
    .action(async (file: string, targets: string[], opts: Record<string, unknown>) => {
      const { runPolicyDiff } = await import("./policy-diff.js");
      setExit(await runPolicyDiff(file, targets, opts, io));
    });

  const stateCmd = program
    .command("state")
    .description(
      "the state store shared by `pyprov serve` nodes (verdicts, baselines, decision log)",
    );
  stateCmd
    .command("migrate")
    .description("bring the state store's schema to this version (idempotent)")
    .option("--state <URL>", STATE_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runStateMigrate } = await import("./state.js");
      setExit(await runStateMigrate(opts, io));
    });
  program
    .command("decisions")
    .description("print the decision log: every file served, blocked or allowed unattested")
    .option("--state <URL>", STATE_HELP)
    .option(
      "--since <TIME>",
      "rows at or after: RFC 3339 time, a date (UTC), or a duration back (24h, 7d)",
    )
    .option("--project <NAME>", "rows of one project")
    .addOption(
      new Option("--verdict <V>", "rows with this verdict").choices([
        "served",
        "blocked",
        "allowed-unattested",
      ]),
    )
    .addOption(
      new Option("--format <FORMAT>", "output format")
        .choices(["table", "json", "jsonl", "csv"])
        .default("table"),
    )
    .action(async (opts: Record<string, unknown>) => {
      const { runDecisions } = await import("./decisions.js");
      setExit(await runDecisions(opts, io));
    });

  const names = program
    .command("names")
    .description(
      "the popular-project list that `verify --history` checks look-alike names against",
    );
  names
    .command("update")
    .description("download the popular-project list into the cache directory")
    .option("--url <URL>", "where to download it from (default: hugovk's top PyPI packages)")
    .option("--cache-dir <DIR>", "cache directory (default: $PYPROV_CACHE_DIR, ~/.cache/pyprov)")
    .action(async (opts: Record<string, unknown>) => {
      const { runNamesUpdate } = await import("./names.js");
      setExit(await runNamesUpdate(opts, io));
    });
  names
    .command("check")
    .description("say whether project names look like popular projects' (offline)")
    .argument("<NAME...>", "project names")
    .option("--cache-dir <DIR>", "cache directory the list was saved in")
    .action(async (list: string[], opts: Record<string, unknown>) => {
      const { runNamesCheck } = await import("./names.js");
      setExit(runNamesCheck(list, opts, io));
    });

  return program;
}

/** Run the CLI; resolves to the exit code. Never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (c) => (exitCode = c), argv);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successful exits; everything else is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof PyprovError) {
      io.stderr(`pyprov: ${err.oneLine()}\n`);
      return 2;
    }
    io.stderr(`pyprov: internal error: ${describeError(err)}\n`);
    if (io.env.PYPROV_DEBUG && err instanceof Error && err.stack) io.stderr(err.stack + "\n");
    return 2;
  }
}

export function processIo(): Io {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
    isStderrTTY: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}

export async function run(): Promise<void> {
  const code = await main(process.argv.slice(2), processIo());
  process.exitCode = code;
}
