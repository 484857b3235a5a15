/**
 * Sigstore trust material: loading a trusted_root.json, checking it (C1), and
 * turning it into what @sigstore/verify needs.
 *
 * The default root ships in trust-roots/trusted_root.json (see
 * scripts/update-trust-roots.mjs for how it is produced).
 */
import { createHash } from "node:crypto";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial, type TrustMaterial } from "@sigstore/verify";
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { DEFAULT_TRUSTED_ROOT_PATH } from "../paths.js";
import { protoLooseMessage } from "../util/proto-json.js";
import { parseJsonBytes, readInputFile } from "../util/read-input.js";
import { describeZodError, ENGLISH } from "../util/zod.js";

const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;
const TRUSTED_ROOT_MEDIA_TYPE_RE =
  /^application\/vnd\.dev\.sigstore\.trustedroot(\.v0\.\d+)?\+json(;version=0\.\d+)?$/;

const timestamp = z
  .string()
  .check(z.refine((s) => !Number.isNaN(Date.parse(s)), "not an RFC 3339 time"));
const validFor = protoLooseMessage({ start: z.optional(timestamp), end: z.optional(timestamp) });
const keyed = protoLooseMessage({
  baseUrl: z.optional(z.string()),
  publicKey: z.optional(
    protoLooseMessage({ rawBytes: z.optional(z.string()), validFor: z.optional(validFor) }),
  ),
  logId: z.optional(protoLooseMessage({ keyId: z.string() })),
});
const authority = protoLooseMessage({
  uri: z.optional(z.string()),
  certChain: protoLooseMessage({
    certificates: z.array(protoLooseMessage({ rawBytes: z.string() })).check(z.minLength(1)),
  }),
  validFor: z.optional(validFor),
});
const TrustedRootShape = protoLooseMessage({
  mediaType: z
    .string()
    .check(z.regex(TRUSTED_ROOT_MEDIA_TYPE_RE, "not a Sigstore trusted root media type")),
  tlogs: z._default(z.array(keyed), []),
  certificateAuthorities: z._default(z.array(authority), []),
  ctlogs: z._default(z.array(keyed), []),
  timestampAuthorities: z._default(z.array(authority), []),
});
type TrustedRootShape = z.infer<typeof TrustedRootShape>;

export { DEFAULT_TRUSTED_ROOT_PATH };

export interface LoadedTrustRoot {
  /** Where it came from: a file path. */
  source: string;
  /** The file's bytes (to hand the same root to verification workers). */
  raw: Buffer;
  /** sha256 of the file's bytes. */
  sha256: string;
  material: TrustMaterial;
  /** Summary for people: how many of each authority, and their URLs. */
  summary: {
    tlogs: string[];
    certificateAuthorities: string[];
    ctlogs: string[];
    timestampAuthorities: string[];
  };
}

/**
 * C1: every CA, tlog, CT log and TSA must have validFor.start; @sigstore/verify
 * would read a missing start as "since the beginning of time".
 */
export function checkValidity(root: TrustedRootShape): string | undefined {
  const groups: [
    string,
    { label: string; start: string | undefined; end: string | undefined }[],
  ][] = [
    [
      "tlogs",
      root.tlogs.map((t, i) => ({
        label: t.baseUrl ?? `#${i}`,
        start: t.publicKey?.validFor?.start,
        end: t.publicKey?.validFor?.end,
      })),
    ],
    [
      "ctlogs",
      root.ctlogs.map((t, i) => ({
        label: t.baseUrl ?? `#${i}`,
        start: t.publicKey?.validFor?.start,
        end: t.publicKey?.validFor?.end,
      })),
    ],
    [
      "certificateAuthorities",
      root.certificateAuthorities.map((c, i) => ({
        label: c.uri ?? `#${i}`,
        start: c.validFor?.start,
        end: c.validFor?.end,
      })),
    ],
    [
      "timestampAuthorities",
      root.timestampAuthorities.map((c, i) => ({
        label: c.uri ?? `#${i}`,
        start: c.validFor?.start,
        end: c.validFor?.end,
      })),
    ],
  ];
  for (const [group, entries] of groups) {
    for (const e of entries) {
      if (e.start === undefined) return `${group} entry ${e.label} has no validFor.start`;
      if (e.end !== undefined && Date.parse(e.end) < Date.parse(e.start)) {
        return `${group} entry ${e.label} has validFor.end before validFor.start`;
      }
    }
  }
  if (root.tlogs.length === 0) return "it lists no transparency logs";
  if (root.certificateAuthorities.length === 0) return "it lists no certificate authorities";
  return undefined;
}

/**
 * Parse and check trusted-root bytes. Protobuf-JSON: a null field reads as
 * absent. A person may write one, so duplicate keys are refused.
 */
export function parseTrustedRoot(raw: Buffer, source: string): LoadedTrustRoot {
  const json = parseJsonBytes(raw, source, { uniqueKeys: true });
  const shape = TrustedRootShape.safeParse(json, ENGLISH);
  if (!shape.success) {
    throw new PyprovError(
      "TRUST_ROOT_INVALID",
      `not a usable trusted root: ${describeZodError(shape.error)}`,
      { source },
    );
  }
  const problem = checkValidity(shape.data);
  if (problem) {
    throw new PyprovError("TRUST_ROOT_INVALID", `trusted root rejected: ${problem}`, { source });
  }
  let material: TrustMaterial;
  try {
    // The checked document: null fields already read as absent.
    material = toTrustMaterial(TrustedRoot.fromJSON(shape.data));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new PyprovError("TRUST_ROOT_INVALID", `trusted root rejected: ${msg}`, {
      source,
      cause: err,
    });
  }
  return {
    source,
    raw,
    sha256: createHash("sha256").update(raw).digest("hex"),
    material,
    summary: {
      tlogs: shape.data.tlogs.map((t) => t.baseUrl ?? "(no URL)"),
      certificateAuthorities: shape.data.certificateAuthorities.map((c) => c.uri ?? "(no URI)"),
      ctlogs: shape.data.ctlogs.map((t) => t.baseUrl ?? "(no URL)"),
      timestampAuthorities: shape.data.timestampAuthorities.map((c) => c.uri ?? "(no URI)"),
    },
  };
}

/** Load a trusted root from a file (the bundled production root by default). */
export function loadTrustedRoot(path: string = DEFAULT_TRUSTED_ROOT_PATH): LoadedTrustRoot {
  let raw: Buffer;
  try {
    raw = readInputFile(path, MAX_TRUSTED_ROOT_BYTES);
  } catch (err) {
    if (err instanceof PyprovError && err.code === "INPUT_UNREADABLE") {
      throw new PyprovError("TRUST_ROOT_MISSING", `trusted root not available: ${err.message}`, {
        source: path,
      });
    }
    throw err;
  }
  return parseTrustedRoot(raw, path);
}
