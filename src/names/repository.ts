/**
 * Does the attested repository have anything to do with the package's name?
 *
 * A typo-squat often publishes from a repository named after something else
 * entirely (the attacker's own project). Both names are split into tokens
 * (PEP 503-normalised, split on `-`, `_`, `.` and `/`, plus each segment
 * without separators); they are related when a token of one contains a token
 * of the other, at least 3 characters long, ignoring tokens that say nothing
 * (`python`, `py`, `lib`, ...). So `google-cloud-storage` is related to
 * `googleapis/python-storage`, `awscli` to `aws/aws-cli`, `pyjwt` to
 * `jpadilla/pyjwt`; `requests` is not related to `evil/tools`.
 */
import { canonicalizeName } from "../pypi/names.js";
import { stripAffix } from "./lookalike.js";

const GENERIC = new Set(["python", "python3", "py", "lib", "sdk", "api", "client", "core", "the"]);
const MIN_TOKEN = 3;

function tokens(text: string): Set<string> {
  const out = new Set<string>();
  for (const segment of text.split("/")) {
    const c = canonicalizeName(segment);
    if (c === "") continue;
    const parts = c.split("-").filter((p) => p !== "");
    for (const p of parts) out.add(p);
    out.add(parts.join(""));
    const stripped = stripAffix(c);
    if (stripped) out.add(stripped.core.replace(/-/g, ""));
  }
  return new Set([...out].filter((t) => t.length >= MIN_TOKEN && !GENERIC.has(t)));
}

/** True when the repository path (OWNER/NAME, GROUP/.../PROJECT) shares a token with the package name. */
export function repositoryRelated(packageName: string, repository: string): boolean {
  const a = tokens(packageName);
  if (a.size === 0) return true; // nothing to compare (a name made only of generic tokens)
  const b = tokens(repository);
  for (const x of a) for (const y of b) if (x.includes(y) || y.includes(x)) return true;
  return false;
}
