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
import { runInspect } from "./inspect.js";
import { runVerify } from "./verify.js";

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

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
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
    .option("--repository <OWNER/NAME>", "expected source repository")
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
    .option(
      "--download",
      "download index files and hash their bytes instead of trusting pinned digests",
    )
    .option("--allow-missing", "a file without provenance is a warning (SLSA L0), not a failure")
    .option("--offline", "use only the cache and local files; never the network")
    .option(
      "--cache-dir <DIR>",
      "provenance cache (default: $PYPROV_CACHE_DIR, $XDG_CACHE_HOME/pyprov, ~/.cache/pyprov)",
    )
    .option("--no-cache", "neither read nor write the provenance cache")
    .option("--concurrency <N>", "requests in flight at once (default 16)")
    .option(
      "--trusted-root <FILE>",
      "Sigstore trusted_root.json (default: bundled production root)",
    )
    .addOption(
      new Option("--format <FORMAT>", "output format").choices(["human", "json"]).default("human"),
    )
    .action(async (targets: string[], opts: Record<string, unknown>) => {
      setExit(await runVerify(targets, opts, io));
    });

  program
    .command("inspect")
    .description("decode an attestation or provenance file for a person (does NOT verify)")
    .argument("<FILE>", "attestation or provenance file")
    .addOption(
      new Option("--format <FORMAT>", "output format").choices(["human", "json"]).default("human"),
    )
    .action((file: string, opts: { format: "human" | "json" }) => {
      setExit(runInspect(file, opts, io));
    });

  return program;
}

/** Run the CLI; resolves to the exit code. Never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (c) => (exitCode = c));
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
