/**
 * Minimal real wheels (pip reads their metadata), built with Python's
 * zipfile, served with provenance from the test Sigstore.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestSigstore } from "./sigstore/index.js";
import {
  PUBLISHER_IDENTITY,
  provenanceBody,
  sha256Hex,
  type SynthFile,
} from "./synthetic-index.js";

/** Build `<name>-<version>-py3-none-any.whl` in `dir`; its bytes. */
export function buildWheel(dir: string, name: string, version: string): Buffer {
  const filename = `${name}-${version}-py3-none-any.whl`;
  const script = `
import sys, zipfile
name, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
di = f"{name}-{version}.dist-info"
with zipfile.ZipFile(out, "w") as z:
    z.writestr(f"{name}/__init__.py", "")
    z.writestr(f"{di}/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
    z.writestr(f"{di}/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr(f"{di}/RECORD", "")
`;
  const out = join(dir, filename);
  const r = spawnSync("python3", ["-c", script, name, version, out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building a wheel failed: ${r.stderr}`);
  return readFileSync(out);
}

/** A real wheel as a synthetic index file, attested by `ss` for PUBLISHER_IDENTITY. */
export function realWheel(
  ss: TestSigstore,
  dir: string,
  name: string,
  version: string,
  extra: Partial<SynthFile["fake"]> = {},
): SynthFile {
  const body = buildWheel(dir, name, version);
  const sha256 = sha256Hex(body);
  const filename = `${name}-${version}-py3-none-any.whl`;
  const prov = provenanceBody(ss, filename, sha256);
  return {
    project: name,
    version,
    kind: "wheel",
    filename,
    body,
    sha256,
    provenance: prov,
    identity: PUBLISHER_IDENTITY,
    fake: { filename, body, provenance: prov, version, ...extra },
  };
}
