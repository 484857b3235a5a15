/**
 * Reading PEP 740 material from files: a provenance object (the Integrity
 * API body) or single attestations. Every failure is a PyprovError naming the
 * file and the JSON path.
 */
import { createHash } from "node:crypto";
import { PyprovError } from "../errors.js";
import { parseJsonBytes, readInputFile } from "../util/read-input.js";
import { describeZodError, ENGLISH } from "../util/zod.js";
import { AttestationSchema, ProvenanceSchema, type Attestation, type Publisher } from "./models.js";

/** Provenance and attestation files are small; anything larger is hostile. */
export const MAX_ATTESTATION_FILE_BYTES = 8 * 1024 * 1024;

/** A group of attestations, with the publisher the index claims for them (if any). */
export interface AttestationGroup {
  publisher: Publisher | undefined;
  attestations: { attestation: Attestation; source: string }[];
}

export interface LoadedProvenance {
  kind: "provenance" | "attestations";
  sources: string[];
  groups: AttestationGroup[];
  /** sha256 of each source's bytes as received (for VSA inputAttestations). */
  digests?: { source: string; sha256: string }[];
}

function sha256Of(source: string, raw: Buffer): { source: string; sha256: string } {
  return { source, sha256: createHash("sha256").update(raw).digest("hex") };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseProvenance(raw: Buffer, source: string): LoadedProvenance {
  const json = parseJsonBytes(raw, source);
  if (!isObject(json) || !("attestation_bundles" in json)) {
    throw new PyprovError("INPUT_MALFORMED", describeShape(json, "a PEP 740 provenance object"), {
      source,
    });
  }
  const parsed = ProvenanceSchema.safeParse(json, ENGLISH);
  if (!parsed.success) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `invalid provenance ${describeZodError(parsed.error)}`,
      { source },
    );
  }
  return {
    kind: "provenance",
    sources: [source],
    digests: [sha256Of(source, raw)],
    groups: parsed.data.attestation_bundles.map((b, i) => ({
      publisher: b.publisher,
      attestations: b.attestations.map((attestation, j) => ({
        attestation,
        source: `${source}#attestation_bundles[${i}].attestations[${j}]`,
      })),
    })),
  };
}

export function parseAttestation(raw: Buffer, source: string): Attestation {
  const json = parseJsonBytes(raw, source);
  if (!isObject(json) || !("verification_material" in json || "envelope" in json)) {
    throw new PyprovError("INPUT_MALFORMED", describeShape(json, "a PEP 740 attestation"), {
      source,
    });
  }
  const parsed = AttestationSchema.safeParse(json, ENGLISH);
  if (!parsed.success) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `invalid attestation ${describeZodError(parsed.error)}`,
      { source },
    );
  }
  return parsed.data;
}

/** Parse a file that may hold either a provenance object or one attestation. */
export function parseProvenanceOrAttestation(raw: Buffer, source: string): LoadedProvenance {
  const json = parseJsonBytes(raw, source);
  if (isObject(json) && "attestation_bundles" in json) return parseProvenance(raw, source);
  return attestationsOnly([
    { attestation: parseAttestation(raw, source), source, sha256: sha256Of(source, raw).sha256 },
  ]);
}

/** Attestations read one by one; `sha256` (of the file's bytes) is kept for reports when given. */
export function attestationsOnly(
  list: { attestation: Attestation; source: string; sha256?: string }[],
): LoadedProvenance {
  const digests = list.flatMap((a) =>
    a.sha256 !== undefined ? [{ source: a.source, sha256: a.sha256 }] : [],
  );
  return {
    kind: "attestations",
    sources: list.map((a) => a.source),
    groups: [
      {
        publisher: undefined,
        attestations: list.map(({ attestation, source }) => ({ attestation, source })),
      },
    ],
    ...(digests.length > 0 ? { digests } : {}),
  };
}

export function loadProvenanceFile(path: string): LoadedProvenance {
  return parseProvenanceOrAttestation(readInputFile(path, MAX_ATTESTATION_FILE_BYTES), path);
}

export function loadAttestationFile(path: string): {
  attestation: Attestation;
  source: string;
  sha256: string;
} {
  const raw = readInputFile(path, MAX_ATTESTATION_FILE_BYTES);
  return {
    attestation: parseAttestation(raw, path),
    source: path,
    sha256: sha256Of(path, raw).sha256,
  };
}

function describeShape(json: unknown, wanted: string): string {
  if (
    isObject(json) &&
    typeof json.mediaType === "string" &&
    json.mediaType.includes("sigstore.bundle")
  ) {
    return `is a Sigstore bundle, not ${wanted}`;
  }
  const kind = Array.isArray(json)
    ? "a JSON array"
    : json === null
      ? "null"
      : `a JSON ${typeof json}`;
  return `is ${isObject(json) ? "a JSON object without the expected fields" : kind}, not ${wanted}`;
}
