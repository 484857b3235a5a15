/**
 * Signing identities: the SAN and Fulcio extensions (1.3.6.1.4.1.57264.1.N)
 * a Fulcio leaf carries for GitHub Actions, GitLab CI/CD, Google and anything
 * else, plus the PEP 740 publisher object PyPI would show alongside.
 */
import { utf8 } from "./der.js";
import type { SanSpec } from "./x509.js";
import type { Bytes } from "./keys.js";

export const FULCIO_OID_PREFIX = "1.3.6.1.4.1.57264.1.";

/** The Fulcio extension OID 1.3.6.1.4.1.57264.1.N. */
export function fulcioOid(n: number): string {
  return `${FULCIO_OID_PREFIX}${n}`;
}

/**
 * An extension value: a string is encoded the way Fulcio does for its OID
 * (raw UTF-8 for 57264.1.1–.6, a DER UTF8String otherwise); a Buffer is put
 * into the extnValue as-is.
 */
export type ExtensionValue = string | Bytes;

export interface Identity {
  /** The Subject Alternative Name, or null for a leaf without one. */
  san: SanSpec | null;
  /** Extensions keyed by full dotted OID, in the order they appear in the leaf. */
  extensions: Record<string, ExtensionValue>;
  /** The PEP 740 publisher this identity corresponds to, when there is one. */
  publisher?: Record<string, unknown>;
}

/** The extnValue content for an identity extension. */
export function encodeIdentityExtension(oidStr: string, value: ExtensionValue): Bytes {
  if (Buffer.isBuffer(value)) return value;
  if (oidStr.startsWith(FULCIO_OID_PREFIX)) {
    const n = Number(oidStr.slice(FULCIO_OID_PREFIX.length));
    if (n >= 1 && n <= 6) return Buffer.from(value, "utf8");
  }
  return utf8(value);
}

function key(k: string | number): string {
  return typeof k === "number" ? fulcioOid(k) : /^\d+$/.test(k) ? fulcioOid(Number(k)) : k;
}

/**
 * Returns a copy of `identity` with extensions replaced, added, or (null)
 * removed. Keys are a Fulcio arc number (8 → 1.3.6.1.4.1.57264.1.8) or a full OID.
 */
export function withExtensions(
  identity: Identity,
  overrides: Record<string | number, ExtensionValue | null>,
  san?: SanSpec | null,
): Identity {
  const extensions: Record<string, ExtensionValue> = { ...identity.extensions };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete extensions[key(k)];
    else extensions[key(k)] = v;
  }
  return { ...identity, extensions, san: san === undefined ? identity.san : san };
}

/** An arbitrary identity from a SAN and an extension map (arc numbers or OIDs). */
export function customIdentity(opts: {
  san: SanSpec | null;
  extensions?: Record<string | number, ExtensionValue>;
  publisher?: Record<string, unknown>;
}): Identity {
  return withExtensions(
    { san: opts.san, extensions: {}, ...(opts.publisher ? { publisher: opts.publisher } : {}) },
    opts.extensions ?? {},
  );
}

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const GITLAB_ISSUER = "https://gitlab.com";
export const GOOGLE_ISSUER = "https://accounts.google.com";

export interface GitHubIdentityOptions {
  /** "owner/name". */
  repository: string;
  /** Workflow file name ("release.yml") or path (".github/workflows/release.yml"). */
  workflow: string;
  /** Git ref, e.g. "refs/tags/v1.0". */
  ref: string;
  environment?: string;
  /** 57264.1.11; default "github-hosted". */
  runner?: string;
  repositoryId?: string;
  ownerId?: string;
  /** Commit SHA of the source (.13) and of the workflow (.3, .19). */
  sha?: string;
  /** Event name (.2, .20); default "push". */
  trigger?: string;
  /** .22; default "public". */
  visibility?: string;
  /** The workflow's display name (.4); default "Release". */
  workflowName?: string;
  runId?: string;
  runAttempt?: string;
  /** A reusable workflow the job ran: the SAN and .9/.10 name it, .18/.19 the caller. */
  reusable?: { repository: string; workflow: string; ref: string; sha?: string };
  /** Include the deprecated 57264.1.2–.6 extensions (default true). */
  legacy?: boolean;
  /** Fulcio extensions to replace, add or (null) drop afterwards. */
  overrides?: Record<string | number, ExtensionValue | null>;
}

function workflowPath(workflow: string): string {
  return workflow.includes("/") ? workflow : `.github/workflows/${workflow}`;
}

const DEFAULT_SHA = "0123456789abcdef0123456789abcdef01234567";

/** A GitHub Actions identity as Fulcio issues it for the workflow's OIDC token. */
export function githubIdentity(o: GitHubIdentityOptions): Identity {
  const host = "https://github.com";
  const owner = o.repository.split("/")[0] ?? o.repository;
  const sha = o.sha ?? DEFAULT_SHA;
  const trigger = o.trigger ?? "push";
  const buildConfig = `${host}/${o.repository}/${workflowPath(o.workflow)}@${o.ref}`;
  const signer = o.reusable
    ? `${host}/${o.reusable.repository}/${workflowPath(o.reusable.workflow)}@${o.reusable.ref}`
    : buildConfig;
  const signerSha = o.reusable?.sha ?? sha;
  const ext: Record<string | number, ExtensionValue> = { 1: GITHUB_ISSUER };
  if (o.legacy ?? true) {
    Object.assign(ext, {
      2: trigger,
      3: sha,
      4: o.workflowName ?? "Release",
      5: o.repository,
      6: o.ref,
    });
  }
  Object.assign(ext, {
    8: GITHUB_ISSUER,
    9: signer,
    10: signerSha,
    11: o.runner ?? "github-hosted",
    12: `${host}/${o.repository}`,
    13: sha,
    14: o.ref,
    15: o.repositoryId ?? "123456789",
    16: `${host}/${owner}`,
    17: o.ownerId ?? "987654321",
    18: buildConfig,
    19: sha,
    20: trigger,
    21: `${host}/${o.repository}/actions/runs/${o.runId ?? "1000000001"}/attempts/${o.runAttempt ?? "1"}`,
    22: o.visibility ?? "public",
  });
  if (o.environment !== undefined) ext[23] = o.environment;
  const workflowFile = workflowPath(o.workflow).split("/").pop() ?? o.workflow;
  const identity = customIdentity({
    san: { uri: signer },
    extensions: ext,
    publisher: {
      kind: "GitHub",
      repository: o.repository,
      workflow: workflowFile,
      environment: o.environment ?? "",
    },
  });
  return o.overrides ? withExtensions(identity, o.overrides) : identity;
}

/** A GitHub identity whose job ran a reusable workflow (SAN and .9 differ from .18). */
export function githubReusableIdentity(
  o: GitHubIdentityOptions & { reusable: NonNullable<GitHubIdentityOptions["reusable"]> },
): Identity {
  return githubIdentity(o);
}

/** A GitHub identity whose job ran on a self-hosted runner. */
export function githubSelfHostedIdentity(o: GitHubIdentityOptions): Identity {
  return githubIdentity({ ...o, runner: "self-hosted" });
}

export interface GitLabIdentityOptions {
  /** "group/project" (the namespace path and project). */
  project: string;
  /** CI config file path, default ".gitlab-ci.yml". */
  filepath?: string;
  ref: string;
  environment?: string;
  /** .11; default "gitlab-hosted". */
  runner?: string;
  projectId?: string;
  namespaceId?: string;
  sha?: string;
  /** Pipeline source (.20), default "push". */
  trigger?: string;
  visibility?: string;
  jobId?: string;
  overrides?: Record<string | number, ExtensionValue | null>;
}

/** A GitLab CI/CD identity as Fulcio issues it (SAN and .18 use "//" before the config path). */
export function gitlabIdentity(o: GitLabIdentityOptions): Identity {
  const host = "https://gitlab.com";
  const filepath = o.filepath ?? ".gitlab-ci.yml";
  const namespace = o.project.split("/").slice(0, -1).join("/") || o.project;
  const sha = o.sha ?? DEFAULT_SHA;
  const config = `${host}/${o.project}//${filepath}@${o.ref}`;
  const ext: Record<string | number, ExtensionValue> = {
    1: GITLAB_ISSUER,
    8: GITLAB_ISSUER,
    9: config,
    10: sha,
    11: o.runner ?? "gitlab-hosted",
    12: `${host}/${o.project}`,
    13: sha,
    14: o.ref,
    15: o.projectId ?? "11223344",
    16: `${host}/${namespace}`,
    17: o.namespaceId ?? "55667788",
    18: config,
    19: sha,
    20: o.trigger ?? "push",
    21: `${host}/${o.project}/-/jobs/${o.jobId ?? "7000000001"}`,
    22: o.visibility ?? "public",
  };
  if (o.environment !== undefined) ext[23] = o.environment;
  const identity = customIdentity({
    san: { uri: config },
    extensions: ext,
    publisher: {
      kind: "GitLab",
      repository: o.project,
      workflow_filepath: filepath,
      environment: o.environment ?? "",
    },
  });
  return o.overrides ? withExtensions(identity, o.overrides) : identity;
}

export interface GoogleIdentityOptions {
  email: string;
  /** Which issuer extensions to include: .1, .8 or both (default both). */
  issuerExtensions?: "v1" | "v2" | "both";
  overrides?: Record<string | number, ExtensionValue | null>;
}

/** A Google service-account identity (SAN email; issuer in .1 and/or .8). */
export function googleIdentity(o: GoogleIdentityOptions): Identity {
  const which = o.issuerExtensions ?? "both";
  const ext: Record<string | number, ExtensionValue> = {};
  if (which !== "v2") ext[1] = GOOGLE_ISSUER;
  if (which !== "v1") ext[8] = GOOGLE_ISSUER;
  const identity = customIdentity({
    san: { email: o.email },
    extensions: ext,
    publisher: { kind: "Google", email: o.email },
  });
  return o.overrides ? withExtensions(identity, o.overrides) : identity;
}
