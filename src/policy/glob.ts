/**
 * A tiny, exact glob matcher for policy values (package names, refs,
 * builder URIs). No pattern is ever turned into a regular expression.
 *
 *   *   any run of characters except "/" (possibly empty)
 *   **  any run of characters, "/" included (possibly empty)
 *   ?   exactly one character other than "/"
 *
 * Everything else matches itself, case-sensitively. There is no escaping,
 * no character class and no brace expansion: a value containing none of
 * `*` and `?` is compared exactly.
 */

export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/** The characters a pattern matches literally (its specificity: more is more specific). */
export function literalLength(pattern: string): number {
  let n = 0;
  for (const c of pattern) if (c !== "*" && c !== "?") n++;
  return n;
}

type Token =
  { kind: "lit"; ch: string } | { kind: "star" } | { kind: "globstar" } | { kind: "one" };

function tokenize(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "*") {
      if (chars[i + 1] === "*") {
        while (chars[i + 1] === "*") i++;
        out.push({ kind: "globstar" });
      } else {
        out.push({ kind: "star" });
      }
    } else if (c === "?") {
      out.push({ kind: "one" });
    } else {
      out.push({ kind: "lit", ch: c });
    }
  }
  return out;
}

/**
 * Whether `value` matches `pattern` as a whole. Runs in O(|pattern| × |value|)
 * time (dynamic programming over code points), so a hostile pattern cannot
 * make it backtrack exponentially.
 */
export function globMatch(pattern: string, value: string): boolean {
  if (!isGlob(pattern)) return pattern === value;
  const tokens = tokenize(pattern);
  const chars = Array.from(value);
  // reach[j]: the first i tokens can match the first j characters.
  let reach = new Array<boolean>(chars.length + 1).fill(false);
  reach[0] = true;
  for (const t of tokens) {
    const next = new Array<boolean>(chars.length + 1).fill(false);
    if (t.kind === "star" || t.kind === "globstar") {
      for (let j = 0; j <= chars.length; j++) {
        if (reach[j]) next[j] = true;
        else if (j > 0 && next[j - 1] && (t.kind === "globstar" || chars[j - 1] !== "/")) {
          next[j] = true;
        }
      }
    } else {
      for (let j = 1; j <= chars.length; j++) {
        if (!reach[j - 1]) continue;
        const c = chars[j - 1]!;
        next[j] = t.kind === "one" ? c !== "/" : c === t.ch;
      }
    }
    reach = next;
  }
  return reach[chars.length] === true;
}
