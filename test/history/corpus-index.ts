/**
 * The corpus's pypi-attestations releases (0.0.16, 0.0.19 from
 * trailofbits/pypi-attestations, 0.0.28 from pypi/pypi-attestations) served
 * by a fake index as one project, with the upload times of their log entries.
 */
import { readFileSync } from "node:fs";
import { casePath, getCase } from "../support/corpus.js";
import { SyntheticIndex, type SynthFile } from "../support/synthetic-index.js";

export const PROJECT = "pypi-attestations";

interface Attestation {
  verification_material: { transparency_entries: { integratedTime: string }[] };
}

/** A provenance object around one real attestation, with the publisher PyPI would show. */
function wrap(attestation: Attestation, repository: string): Buffer {
  const publisher = { kind: "GitHub", repository, workflow: "release.yml", environment: null };
  return Buffer.from(
    JSON.stringify({
      version: 1,
      attestation_bundles: [{ publisher, attestations: [attestation] }],
    }),
  );
}

function timeOf(a: Attestation): string {
  const t = Number(a.verification_material.transparency_entries[0]!.integratedTime);
  return new Date(t * 1000).toISOString();
}

function corpusFile(
  caseName: string,
  version: string,
  provenance: Buffer,
  uploadTime: string,
): SynthFile {
  const c = getCase(caseName);
  const filename = c.artifact_filename!;
  const body = c.artifact_present ? readFileSync(casePath(caseName, filename)) : undefined;
  return {
    project: PROJECT,
    version,
    kind: "sdist",
    filename,
    body: body ?? Buffer.alloc(0),
    sha256: c.artifact_sha256!,
    provenance,
    identity: { san: null, extensions: {} },
    fake: {
      filename,
      ...(body ? { body } : {}),
      sha256: c.artifact_sha256!,
      provenance,
      uploadTime,
      version,
    },
  };
}

const json = (caseName: string, file: string): Attestation =>
  JSON.parse(readFileSync(casePath(caseName, file), "utf8")) as Attestation;

const a16 = json(
  "tob-pypi_attestations-0.0.16-sdist",
  "pypi_attestations-0.0.16.tar.gz.attestation",
);
const a28 = json("carabiner-pypi_attestations-0.0.28-sdist", "pypi.attestation.json");
const p19Case = "tob-pypi_attestations-0.0.19-sdist-pypi-provenance";
const p19 = readFileSync(casePath(p19Case, "pypi_attestations-0.0.19.tar.gz.provenance"));
const t19 = timeOf(
  (JSON.parse(p19.toString()) as { attestation_bundles: { attestations: Attestation[] }[] })
    .attestation_bundles[0]!.attestations[0]!,
);

export function corpusIndex(): SyntheticIndex {
  const si = new SyntheticIndex();
  si.put({
    name: PROJECT,
    files: [
      corpusFile(
        "tob-pypi_attestations-0.0.16-sdist",
        "0.0.16",
        wrap(a16, "trailofbits/pypi-attestations"),
        timeOf(a16),
      ),
      corpusFile(p19Case, "0.0.19", p19, t19),
      corpusFile(
        "carabiner-pypi_attestations-0.0.28-sdist",
        "0.0.28",
        wrap(a28, "pypi/pypi-attestations"),
        timeOf(a28),
      ),
    ],
  });
  return si;
}
