/**
 * `policy init` and `policy diff` both observe publishers the way `verify`
 * would: the same targets, requirements files, lockfiles and index flags.
 */
import { PyprovError } from "../errors.js";
import { DEFAULT_CONCURRENCY, type VerifyOptions } from "../pipeline.js";
import { parseTargetArg } from "../resolve/targets.js";
import { networkOptions } from "./network-options.js";

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** The verify options for observing ARGS, -r and --lock; USAGE error (`nothing`) when none is given. */
export function observeOptions(
  args: string[],
  opts: Record<string, unknown>,
  nothing: string,
): VerifyOptions & { requirements: string[]; locks: string[] } {
  const network = networkOptions(opts);
  const targets = args.map(parseTargetArg);
  const requirements = strs(opts.requirement);
  const locks = strs(opts.lock);
  if (targets.length === 0 && requirements.length === 0 && locks.length === 0) {
    throw new PyprovError("USAGE", nothing);
  }
  const indexUrl = str(opts.indexUrl);
  return {
    targets,
    requirements,
    locks,
    provenance: str(opts.provenance),
    attestations: strs(opts.attestation),
    trustedRoot: str(opts.trustedRoot),
    only: str(opts.only) as "wheel" | "sdist" | undefined,
    index: { ...(indexUrl !== undefined ? { indexUrl } : {}), ...network },
    cacheDir: str(opts.cacheDir),
    noCache: opts.cache === false,
    offline: opts.offline === true,
    concurrency: DEFAULT_CONCURRENCY,
  };
}
