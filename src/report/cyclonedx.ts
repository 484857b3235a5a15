/**
 * A CycloneDX 1.6 JSON SBOM of the run's targets: one `library` component per
 * file (purl `pkg:pypi/NAME@VERSION?file_name=FILE`, its SHA-256), annotated
 * with what pyprov found, in the `pyprov:` property namespace:
 *
 *   pyprov:verdict                  verified | failed | missing | error | skipped
 *   pyprov:verification-result      PASSED | FAILED (the file's share of the exit code)
 *   pyprov:failure:code / :message  or pyprov:error:code / :message
 *   pyprov:slsa:level               SLSA_BUILD_LEVEL_0..3, FAILED, SLSA_BUILD_LEVEL_UNEVALUATED
 *   pyprov:publisher:*              the verified certificate's identity (kind, repository,
 *                                   repository-id, owner-id, workflow, ref, environment,
 *                                   runner, issuer, identity)
 *   pyprov:attestation:predicate-type, pyprov:attestation:log-index   one per attestation
 *   pyprov:origin                   FILE:LINE of the requirements file or lockfile
 *   pyprov:warning                  one per warning
 *
 * externalReferences: the download URL (`distribution`) and each provenance
 * source (`attestation`, with the SHA-256 of the bytes received).
 */
import { randomUUID } from "node:crypto";
import type { VerifyRun } from "../pipeline.js";
import { pyprovVersion } from "../paths.js";
import type { TargetReport } from "../verify/types.js";
import {
  PYPROV_URI,
  outcomeOf,
  packageOf,
  purlOf,
  sigstoreVerifyVersion,
  uriOf,
} from "./outcome.js";

export interface CycloneDxOptions {
  allowMissing?: boolean;
  /** metadata.timestamp (default: now). */
  now?: Date;
  /** The BOM's serial number (default: a random UUID). */
  serialNumber?: string;
}

interface Property {
  name: string;
  value: string;
}

interface ExternalReference {
  type: "distribution" | "attestation" | "website";
  url: string;
  comment?: string;
  hashes?: { alg: "SHA-256"; content: string }[];
}

function prop(out: Property[], name: string, value: string | undefined): void {
  if (value !== undefined && value !== "") out.push({ name: `pyprov:${name}`, value });
}

function properties(r: TargetReport, allowMissing: boolean): Property[] {
  const out: Property[] = [];
  prop(out, "verdict", r.verdict);
  const outcome = outcomeOf(r, allowMissing);
  prop(out, "verification-result", outcome === "pass" || outcome === "warn" ? "PASSED" : "FAILED");
  prop(out, "failure:code", r.failure?.code);
  prop(out, "failure:message", r.failure?.message);
  prop(out, "error:code", r.error?.code);
  prop(out, "error:message", r.error?.message);
  prop(out, "slsa:level", r.slsa?.level);
  const id = r.identity;
  if (id) {
    prop(out, "publisher:kind", id.kind);
    prop(out, "publisher:repository", id.repository);
    prop(out, "publisher:repository-id", id.repositoryId);
    prop(out, "publisher:owner-id", id.ownerId);
    prop(out, "publisher:workflow", id.workflow);
    prop(out, "publisher:ref", id.ref);
    prop(out, "publisher:environment", id.environment);
    prop(out, "publisher:runner", id.runner);
    prop(out, "publisher:issuer", id.issuer);
    prop(out, "publisher:identity", id.identity);
  }
  for (const a of r.attestations) {
    prop(out, "attestation:predicate-type", a.predicateType);
    prop(out, "attestation:log-index", a.logEntry?.logIndex);
  }
  const origin = r.target.origin;
  if (origin) prop(out, "origin", `${origin.file}:${origin.line}`);
  for (const w of r.warnings) prop(out, "warning", w);
  return out;
}

function externalReferences(r: TargetReport): ExternalReference[] {
  const refs: ExternalReference[] = [];
  if (r.target.url !== undefined) refs.push({ type: "distribution", url: r.target.url });
  const digests = r.provenance?.digests ?? [];
  const hashed = new Set(digests.map((d) => d.source));
  for (const d of digests) {
    refs.push({
      type: "attestation",
      url: uriOf(d.source),
      comment: "PEP 740 provenance",
      hashes: [{ alg: "SHA-256", content: d.sha256 }],
    });
  }
  for (const source of r.provenance?.sources ?? []) {
    if (!hashed.has(source)) {
      refs.push({ type: "attestation", url: uriOf(source), comment: "PEP 740 provenance" });
    }
  }
  return refs;
}

function component(r: TargetReport, bomRef: string, allowMissing: boolean): object {
  const pkg = packageOf(r);
  const purl = purlOf(r);
  const refs = externalReferences(r);
  return {
    type: "library",
    "bom-ref": bomRef,
    name: pkg?.name ?? r.target.filename,
    ...(pkg ? { version: pkg.version } : {}),
    ...(r.target.sha256 ? { hashes: [{ alg: "SHA-256", content: r.target.sha256 }] } : {}),
    ...(purl !== undefined ? { purl } : {}),
    ...(refs.length > 0 ? { externalReferences: refs } : {}),
    properties: properties(r, allowMissing),
  };
}

/** Unique bom-refs: the purl, with "#2", "#3", ... for a file listed again. */
function refAllocator(): (base: string) => string {
  const seen = new Map<string, number>();
  return (base) => {
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  };
}

export function cyclonedxBom(
  run: Pick<VerifyRun, "results" | "skipped" | "exitCode">,
  opts: CycloneDxOptions = {},
): Record<string, unknown> {
  const allowMissing = opts.allowMissing === true;
  const ref = refAllocator();
  const components: object[] = run.results.map((r, i) =>
    component(r, ref(purlOf(r) ?? `pyprov:result:${i + 1}`), allowMissing),
  );
  run.skipped.forEach((s, i) => {
    const props: Property[] = [];
    prop(props, "verdict", "skipped");
    prop(props, "skip-reason", s.reason);
    if (s.origin) prop(props, "origin", `${s.origin.file}:${s.origin.line}`);
    components.push({
      type: "library",
      "bom-ref": ref(`pyprov:skipped:${i + 1}`),
      name: s.name,
      properties: props,
    });
  });
  const sigstore = sigstoreVerifyVersion();
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: opts.serialNumber ?? `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      tools: {
        components: [
          {
            type: "application",
            name: "pyprov",
            version: pyprovVersion(),
            externalReferences: [{ type: "website", url: PYPROV_URI }],
          },
          {
            type: "library",
            group: "@sigstore",
            name: "verify",
            version: sigstore,
            purl: `pkg:npm/%40sigstore/verify@${encodeURIComponent(sigstore)}`,
          },
        ],
      },
      properties: [{ name: "pyprov:exit-code", value: String(run.exitCode) }],
    },
    components,
  };
}

export function renderCycloneDx(
  run: Pick<VerifyRun, "results" | "skipped" | "exitCode">,
  opts: CycloneDxOptions = {},
): string {
  return JSON.stringify(cyclonedxBom(run, opts), null, 2) + "\n";
}
