/**
 * `pyprov verify-bundle`: any artifact's Sigstore bundle, with the argument
 * shape of the Sigstore client conformance protocol:
 *
 *   pyprov verify-bundle [--staging] --bundle FILE
 *     (--certificate-identity ID | --certificate-identity-regexp RE)
 *     --certificate-oidc-issuer URL | --key PEM
 *     [--trusted-root FILE] FILE_OR_DIGEST
 *
 * Exit 0 only when it verified; 1 when verification failed; 2 when no
 * verdict could be reached (usage, unreadable or malformed input, trust root).
 */
import { loadBundleFile } from "../bundle/load.js";
import { parseArtifactArgument, resolveArtifact } from "../bundle/artifact.js";
import { buildPolicy, type BundlePolicy } from "../bundle/policy.js";
import {
  BundleVerifier,
  messageDigestAlgorithm,
  type BundleVerification,
} from "../bundle/verify.js";
import { PyprovError } from "../errors.js";
import { pyprovVersion } from "../paths.js";
import { renderJson } from "../report/json.js";
import {
  resolveTrustRoot,
  staleRootWarning,
  type TrustSelection,
} from "../sigstore/trust-store.js";
import type { LoadedTrustRoot } from "../sigstore/trust-root.js";
import { oneLine } from "../util/text.js";
import type { Io } from "./main.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export async function runVerifyBundle(
  artifactArg: string,
  opts: Record<string, unknown>,
  io: Io,
): Promise<number> {
  const bundlePath = str(opts.bundle);
  if (bundlePath === undefined || bundlePath === "") {
    throw new PyprovError("USAGE", "--bundle FILE is required");
  }
  const policy = buildPolicy({
    certificateIdentity: str(opts.certificateIdentity),
    certificateIdentityRegexp: str(opts.certificateIdentityRegexp),
    certificateOidcIssuer: str(opts.certificateOidcIssuer),
    key: str(opts.key),
  });
  const artifactInput = parseArtifactArgument(artifactArg);
  const { selection, root } = resolveTrustRoot(
    { trustedRoot: str(opts.trustedRoot), staging: opts.staging === true },
    io.env,
  );
  const warning = staleRootWarning(selection);
  if (warning) io.stderr(warning);

  const loaded = loadBundleFile(bundlePath);
  const alg = messageDigestAlgorithm(loaded);
  const artifact = await resolveArtifact(artifactInput, {
    wantBytes: loaded.content === "messageSignature",
    algorithms: alg ? [alg] : [],
  });
  const result = new BundleVerifier(root, policy).verify(loaded, artifact);
  const exitCode = result.verified ? 0 : 1;

  if (opts.format === "json") {
    io.stdout(
      renderJson({
        schemaVersion: 1,
        tool: { name: "pyprov", version: pyprovVersion() },
        command: "verify-bundle",
        exitCode,
        verified: result.verified,
        artifact: { argument: artifactArg, path: artifact.path, sha256: artifact.sha256 },
        bundle: {
          path: loaded.source,
          sha256: loaded.sha256,
          mediaType: loaded.mediaType,
          content: loaded.content,
          signer: loaded.key.type,
          notes: loaded.notes,
        },
        trustedRoot: trustRootJson(selection, root),
        policy: policyJson(policy),
        failure: result.failure,
        signer: result.signer,
        statement: result.statement,
        signatureOver: result.signatureOver,
        verifiedTimes: result.verifiedTimes,
        logEntries: result.logEntries,
        steps: result.steps,
      }),
    );
  } else {
    io.stdout(humanLine(artifact.display, result) + "\n");
  }
  return exitCode;
}

function humanLine(display: string, r: BundleVerification): string {
  const name = oneLine(display);
  if (!r.verified) return `✗ ${name}: ${oneLine(r.failure?.message ?? "verification failed")}`;
  const s = r.signer;
  if (s?.type === "publicKey") return `✓ ${name} verified: public key sha256:${s.fingerprint}`;
  return `✓ ${name} verified: ${oneLine(s?.identity ?? "?")} (${oneLine(s?.issuer ?? "no issuer")})`;
}

function trustRootJson(sel: TrustSelection, root: LoadedTrustRoot): Record<string, unknown> {
  return {
    origin: sel.origin,
    instance: sel.instance,
    path: root.source,
    sha256: root.sha256,
    date: sel.date?.toISOString(),
    ageDays: sel.ageDays,
  };
}

function policyJson(p: BundlePolicy): Record<string, unknown> {
  if (p.kind === "key") return { key: { path: p.source, sha256: p.fingerprint } };
  return {
    identity: p.identity.kind === "exact" ? p.identity.value : undefined,
    identityRegexp: p.identity.kind === "regexp" ? `^(?:${p.identity.pattern})$` : undefined,
    issuer: p.issuer,
  };
}
