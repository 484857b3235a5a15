/**
 * `pyprov inspect FILE`: decode an attestation or provenance for a person.
 * Nothing here is verified, and the output says so on its first line.
 */
import { decodeCertificate, type DecodedCertificate } from "../identity/certificate.js";
import { fulcioOidInfo } from "../identity/oids.js";
import { loadProvenanceFile } from "../pep740/load.js";
import type { Attestation } from "../pep740/models.js";
import { renderJson } from "../report/json.js";
import { JSON_SCHEMA_VERSION } from "../report/json.js";
import { safeText } from "../util/text.js";
import type { Io } from "./main.js";

export const NOT_VERIFIED_BANNER =
  "NOT VERIFIED: decoded for reading only; run `pyprov verify` to verify.";

interface InspectedAttestation {
  source: string;
  statement: unknown;
  statementError?: string;
  certificate:
    | {
        identity: string[];
        serialNumber: string;
        notBefore: string;
        notAfter: string;
        claims: { oid: string; name: string; value: string }[];
      }
    | { error: string };
  logEntries: {
    kind: string;
    logIndex: string;
    logId: string;
    integratedTime: string | undefined;
    hasInclusionPromise: boolean;
    hasInclusionProof: boolean;
    checkpointOrigin: string | undefined;
  }[];
  rfc3161Timestamps: number;
}

function inspectAttestation(att: Attestation, source: string): InspectedAttestation {
  let statement: unknown;
  let statementError: string | undefined;
  try {
    statement = JSON.parse(Buffer.from(att.envelope.statement).toString("utf8")) as unknown;
  } catch {
    statementError = "statement is not valid JSON";
  }
  let certificate: InspectedAttestation["certificate"];
  try {
    const cert: DecodedCertificate = decodeCertificate(att.verification_material.certificate);
    certificate = {
      identity: [...cert.san.uris, ...cert.san.emails, ...cert.san.otherNames],
      serialNumber: cert.serialNumber,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      claims: Object.entries(cert.fulcioExtensions)
        .map(([oid, value]) => ({
          oid,
          name: fulcioOidInfo(oid)?.name ?? "unknown extension",
          value,
        }))
        .sort((a, b) => arcOf(a.oid) - arcOf(b.oid)),
    };
  } catch (err) {
    certificate = { error: err instanceof Error ? err.message : String(err) };
  }
  return {
    source,
    statement,
    ...(statementError ? { statementError } : {}),
    certificate,
    logEntries: att.verification_material.transparency_entries.map((t) => ({
      kind: `${t.kindVersion.kind} ${t.kindVersion.version}`,
      logIndex: t.logIndex.toString(),
      logId: Buffer.from(t.logId.keyId).toString("hex"),
      integratedTime:
        t.integratedTime && t.integratedTime > 0n
          ? new Date(Number(t.integratedTime) * 1000).toISOString()
          : undefined,
      hasInclusionPromise: t.inclusionPromise !== undefined,
      hasInclusionProof: t.inclusionProof !== undefined,
      checkpointOrigin: t.inclusionProof?.checkpoint.envelope.split("\n", 1)[0],
    })),
    rfc3161Timestamps: att.verification_material.timestamps?.length ?? 0,
  };
}

function arcOf(oid: string): number {
  return Number(oid.split(".").at(-1));
}

export function runInspect(file: string, opts: { format: "human" | "json" }, io: Io): number {
  const loaded = loadProvenanceFile(file);
  const groups = loaded.groups.map((g) => ({
    publisher: g.publisher,
    attestations: g.attestations.map((a) => inspectAttestation(a.attestation, a.source)),
  }));
  if (opts.format === "json") {
    io.stdout(
      renderJson({
        schemaVersion: JSON_SCHEMA_VERSION,
        command: "inspect",
        verified: false,
        notice: NOT_VERIFIED_BANNER,
        file,
        kind: loaded.kind,
        groups,
      }),
    );
    return 0;
  }
  const out: string[] = [
    NOT_VERIFIED_BANNER,
    "",
    `${file}: ${loaded.kind === "provenance" ? "provenance object" : "attestation"}`,
  ];
  for (const g of groups) {
    if (g.publisher) {
      const { kind, ...rest } = g.publisher as Record<string, unknown>;
      delete rest.unknown;
      out.push(
        `publisher (claimed by the index, unsigned): ${String(kind)} ${JSON.stringify(rest)}`,
      );
    }
    for (const a of g.attestations) {
      out.push("", `attestation ${a.source}`);
      const st = a.statement as { predicateType?: unknown; subject?: unknown } | undefined;
      if (a.statementError) out.push(`  statement: ${a.statementError}`);
      else {
        out.push(`  predicate type: ${String(st?.predicateType)}`);
        for (const s of Array.isArray(st?.subject)
          ? (st.subject as { name?: unknown; digest?: Record<string, unknown> }[])
          : []) {
          const digests = Object.entries(s.digest ?? {})
            .map(([k, v]) => `${k}:${String(v)}`)
            .join(" ");
          out.push(`  subject: ${String(s.name)} ${digests}`);
        }
        out.push("  statement:");
        for (const line of JSON.stringify(a.statement, null, 2).split("\n"))
          out.push(`    ${line}`);
      }
      if ("error" in a.certificate)
        out.push(`  certificate: cannot be decoded: ${a.certificate.error}`);
      else {
        const c = a.certificate;
        out.push("  certificate:");
        out.push(`    identity (SAN): ${c.identity.join(", ") || "(none)"}`);
        out.push(`    valid: ${c.notBefore} .. ${c.notAfter}`);
        out.push(`    serial: ${c.serialNumber}`);
        const width = Math.max(...c.claims.map((x) => x.name.length), 0);
        for (const claim of c.claims) {
          out.push(`    ${claim.name.padEnd(width)}  ${claim.value}  (${claim.oid})`);
        }
      }
      out.push("  log entries:");
      for (const e of a.logEntries) {
        out.push(
          `    ${e.kind}, log index ${e.logIndex}, integrated ${e.integratedTime ?? "(no integrated time)"}` +
            `${e.hasInclusionPromise ? ", SET" : ""}${e.hasInclusionProof ? `, inclusion proof (${e.checkpointOrigin ?? "?"})` : ""}`,
        );
        out.push(`      log id ${e.logId}`);
      }
      if (a.rfc3161Timestamps > 0) out.push(`  RFC 3161 timestamps: ${a.rfc3161Timestamps}`);
    }
  }
  io.stdout(out.map(safeText).join("\n") + "\n");
  return 0;
}
