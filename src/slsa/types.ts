/**
 * SLSA Build levels as pyprov reports them (slsa-levels.md §3), with the
 * evidence each result rests on. The names are SLSA v1.1's
 * `verifiedLevels` values, so a VSA can carry them unchanged.
 */

export const SLSA_LEVELS = [
  "FAILED",
  "SLSA_BUILD_LEVEL_UNEVALUATED",
  "SLSA_BUILD_LEVEL_0",
  "SLSA_BUILD_LEVEL_1",
  "SLSA_BUILD_LEVEL_2",
  "SLSA_BUILD_LEVEL_3",
] as const;
/** In ascending order: FAILED < UNEVALUATED < L0 < L1 < L2 < L3 (the order a minimum uses). */
export type SlsaLevel = (typeof SLSA_LEVELS)[number];

export interface SlsaEvidence {
  /** The attestation that decided the level (its source), when there is one. */
  attestation?: string;
  /** Predicate types of the file's attestations. */
  predicateTypes: string[];
  /** OIDC issuer (.8, else .1). */
  issuer?: string;
  /** Runner Environment (.11). */
  runnerEnvironment?: string;
  /** Build Signer URI (.9). */
  buildSignerUri?: string;
  /** Build Config URI (.18). */
  buildConfigUri?: string;
  /** SLSA provenance `runDetails.builder.id`. */
  builderId?: string;
  /** SLSA provenance `buildDefinition.buildType`. */
  buildType?: string;
  /** The `trusted_builders` entry that matched (L3 only). */
  trustedBuilder?: string;
  /** Where the verified signing time came from. */
  timeSource?: "rekor-set" | "rfc3161";
  verifiedTime?: string;
}

export interface SlsaResult {
  level: SlsaLevel;
  evidence: SlsaEvidence;
  /** Why the level is not higher (for L3: that it is the highest). */
  whyNotHigher: string;
}

/** 0–3 for a build level, undefined for FAILED and UNEVALUATED. */
export function levelNumber(level: SlsaLevel): number | undefined {
  const m = /^SLSA_BUILD_LEVEL_(\d)$/.exec(level);
  return m ? Number(m[1]) : undefined;
}

export function buildLevel(n: number): SlsaLevel {
  return `SLSA_BUILD_LEVEL_${Math.max(0, Math.min(3, n))}` as SlsaLevel;
}

/** "L2", "FAILED", "UNEVALUATED": for one-line output. */
export function shortLevel(level: SlsaLevel): string {
  const n = levelNumber(level);
  if (n !== undefined) return `L${n}`;
  return level === "FAILED" ? "FAILED" : "UNEVALUATED";
}

/** The lower of two levels (FAILED lowest, then UNEVALUATED, then L0…L3). */
export function minLevel(a: SlsaLevel, b: SlsaLevel): SlsaLevel {
  return SLSA_LEVELS.indexOf(a) <= SLSA_LEVELS.indexOf(b) ? a : b;
}
