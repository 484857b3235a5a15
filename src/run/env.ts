/**
 * The environment `pyprov run` gives its command: the common installers'
 * index variables point at the proxy, and the variables that would add
 * another source of files (an extra index, find-links locations, no index at
 * all) are removed. Pure: the caller says which were removed.
 */

/** Set to the proxy's index URL: pip's, and uv's current and deprecated names. */
export const INDEX_VARIABLES = ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"] as const;

/**
 * Removed for the command: each makes pip or uv take files from somewhere
 * other than the proxy (UV_FIND_LINKS is uv's `--find-links`).
 */
export const BYPASS_VARIABLES = [
  "PIP_EXTRA_INDEX_URL",
  "UV_EXTRA_INDEX_URL",
  "UV_INDEX",
  "PIP_FIND_LINKS",
  "UV_FIND_LINKS",
  "PIP_NO_INDEX",
] as const;

export interface ChildEnv {
  env: Record<string, string>;
  /** The bypass variables that were set (even to ""), in {@link BYPASS_VARIABLES} order. */
  unset: string[];
  /** The index variables that had another value before. */
  replaced: string[];
}

/** `parent` with the index variables set to `indexUrl` and the bypass variables removed. */
export function childEnv(
  parent: Readonly<Record<string, string | undefined>>,
  indexUrl: string,
): ChildEnv {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  const unset: string[] = [];
  for (const name of BYPASS_VARIABLES) {
    if (name in env) {
      unset.push(name);
      delete env[name];
    }
  }
  const replaced: string[] = [];
  for (const name of INDEX_VARIABLES) {
    if (env[name] !== undefined && env[name] !== indexUrl) replaced.push(name);
    env[name] = indexUrl;
  }
  return { env, unset, replaced };
}
