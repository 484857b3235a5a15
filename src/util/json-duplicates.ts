/**
 * Duplicate keys in JSON a person writes (policies, trusted roots).
 *
 * JSON.parse keeps the last of two equal keys and says nothing, so
 * `"acme-pkg": {publishers: [...]}, "acme-pkg": {}` would silently drop the
 * pinned publisher. YAML policies already refuse duplicates (the yaml
 * package's uniqueKeys); this scanner does the same for JSON: one pass over
 * text that JSON.parse has already accepted, comparing keys as JSON.parse
 * decodes them (so "a" and "\u0061" are the same key). parseJsonText's
 * `uniqueKeys` option runs it.
 *
 * Signed JSON (in-toto statements, DSSE payloads) does not come here: its
 * bytes are read exactly as they were signed.
 */
import { formatPath } from "./zod.js";

export interface DuplicateKey {
  /** The key, decoded. */
  key: string;
  /** Where the object holding it is (`packages`, `tlogs[0].publicKey`, ...). */
  path: (string | number)[];
  /** 1-based lines of the first and the repeated occurrence. */
  line: number;
  firstLine: number;
}

interface Frame {
  /** Keys seen so far and the line of each; undefined for an array. */
  keys: Map<string, number> | undefined;
  /** Whether the next string in this object is a key. */
  expectKey: boolean;
  /** The member being read: its key, or its index in an array. */
  at: string | number;
}

/**
 * The first duplicate key of `text`, or undefined. `text` must be JSON that
 * JSON.parse accepts (this scanner does not validate it).
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a /* \n */) {
      line++;
    } else if (c === 0x22 /* " */) {
      const start = i;
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return undefined; // not JSON; JSON.parse has said so
        let backslashes = 0;
        while (text.charCodeAt(i - backslashes - 1) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      const top = stack.at(-1);
      if (top?.keys !== undefined && top.expectKey) {
        const raw = text.slice(start, i + 1);
        const key = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        const firstLine = top.keys.get(key);
        if (firstLine !== undefined) {
          return { key, path: stack.slice(0, -1).map((f) => f.at), line, firstLine };
        }
        top.keys.set(key, line);
        top.at = key;
        top.expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      stack.push({ keys: new Map(), expectKey: true, at: "" });
    } else if (c === 0x5b /* [ */) {
      stack.push({ keys: undefined, expectKey: false, at: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack.at(-1);
      if (top?.keys !== undefined) top.expectKey = true;
      else if (top !== undefined) top.at = (top.at as number) + 1;
    }
  }
  return undefined;
}

/** One line for people: `duplicate key "k" in packages (line 9; first at line 3)`. */
export function describeDuplicateKey(d: DuplicateKey): string {
  const where = d.path.length === 0 ? "at the top level" : `in ${formatPath(d.path)}`;
  return `duplicate key ${JSON.stringify(d.key)} ${where} (line ${d.line}; first at line ${d.firstLine}): JSON would keep only the last one`;
}
