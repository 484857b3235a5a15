/**
 * Every real certificate the corpus has: the Fulcio CA chains of the
 * production and staging trusted roots, and the leaf of every attestation.
 */
import { readFileSync } from "node:fs";
import { casePath, loadManifest, trustedRootPath } from "./corpus.js";

export function trustedChainDers(instance: "production" | "staging"): Buffer<ArrayBuffer>[] {
  const root = JSON.parse(readFileSync(trustedRootPath(instance), "utf8")) as {
    certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
  };
  return root.certificateAuthorities.flatMap((ca) =>
    ca.certChain.certificates.map((c) => Buffer.from(c.rawBytes, "base64")),
  );
}

/** The leaf certificate (DER) of every attestation file in the corpus. */
export function corpusLeafDers(): Buffer<ArrayBuffer>[] {
  const ders: Buffer<ArrayBuffer>[] = [];
  for (const c of loadManifest()) {
    for (const f of c.files.filter((f) => f.kind === "attestation")) {
      const att = JSON.parse(readFileSync(casePath(c.case, f.file), "utf8")) as {
        verification_material: { certificate: string };
      };
      ders.push(Buffer.from(att.verification_material.certificate, "base64"));
    }
  }
  return ders;
}

export function realCertificateDers(): Buffer<ArrayBuffer>[] {
  return [...trustedChainDers("production"), ...trustedChainDers("staging"), ...corpusLeafDers()];
}
