/**
 * A small, linear-time HTML tag scanner for simple-API pages (PEP 503).
 *
 * Not an HTML parser: it finds start tags, their attributes and the text that
 * follows each tag up to the next "<". Every loop step moves forward, so the
 * work is O(length of input) for any input, hostile or not; no regular
 * expression runs over unbounded input.
 */

/** At most this many attributes are kept per tag (the rest are skipped). */
const MAX_ATTRIBUTES = 64;

/**
 * Call `onTag(name, attributes, text)` for each start tag (only those named in
 * `only`, when given), in order. Names are lower case; attribute values are
 * raw (entities not decoded; first occurrence wins); `text` is the raw text
 * between the tag and the next "<".
 */
export function scanHtml(
  html: string,
  onTag: (name: string, attrs: Map<string, string>, text: string) => void,
  only?: ReadonlySet<string>,
): void {
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt < 0) return;
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const first = html.charCodeAt(lt + 1);
    if (!isLetter(first)) {
      // End tags, <!DOCTYPE>, <?...>, or a stray "<".
      if (first === 0x2f /* / */ || first === 0x21 /* ! */ || first === 0x3f /* ? */) {
        const end = html.indexOf(">", lt + 1);
        i = end < 0 ? n : end + 1;
      } else {
        i = lt + 1;
      }
      continue;
    }
    let j = lt + 1;
    while (j < n && isTagNameChar(html.charCodeAt(j))) j++;
    const name = html.slice(lt + 1, j).toLowerCase();
    const wanted = only === undefined || only.has(name);
    const { attrs, end } = scanAttributes(html, j, wanted);
    if (wanted) {
      const next = html.indexOf("<", end);
      onTag(name, attrs, html.slice(end, next < 0 ? n : next));
    }
    i = end;
    if (name === "script" || name === "style") i = skipRawText(html, end, name);
  }
}

const NO_ATTRIBUTES: ReadonlyMap<string, string> = new Map();

function scanAttributes(
  html: string,
  from: number,
  keep: boolean,
): { attrs: Map<string, string>; end: number } {
  const n = html.length;
  const attrs = keep ? new Map<string, string>() : (NO_ATTRIBUTES as Map<string, string>);
  let k = from;
  while (k < n) {
    const c = html.charCodeAt(k);
    if (isSpace(c) || c === 0x2f /* / */) {
      k++;
      continue;
    }
    if (c === 0x3e /* > */) return { attrs, end: k + 1 };
    const nameStart = k;
    k++; // the first character is part of the name, even "="
    while (k < n) {
      const d = html.charCodeAt(k);
      if (isSpace(d) || d === 0x2f || d === 0x3e || d === 0x3d /* = */) break;
      k++;
    }
    let p = k;
    while (p < n && isSpace(html.charCodeAt(p))) p++;
    const nameEnd = k;
    let valueStart = 0;
    let valueEnd = 0;
    if (html.charCodeAt(p) === 0x3d) {
      k = p + 1;
      while (k < n && isSpace(html.charCodeAt(k))) k++;
      const q = html.charCodeAt(k);
      if (q === 0x22 /* " */ || q === 0x27 /* ' */) {
        const close = html.indexOf(q === 0x22 ? '"' : "'", k + 1);
        const stop = close < 0 ? n : close;
        valueStart = k + 1;
        valueEnd = stop;
        k = close < 0 ? n : close + 1;
      } else {
        valueStart = k;
        while (k < n) {
          const d = html.charCodeAt(k);
          if (isSpace(d) || d === 0x3e) break;
          k++;
        }
        valueEnd = k;
      }
    }
    if (keep && attrs.size < MAX_ATTRIBUTES) {
      const name = html.slice(nameStart, nameEnd).toLowerCase();
      if (!attrs.has(name)) attrs.set(name, html.slice(valueStart, valueEnd));
    }
  }
  return { attrs, end: n };
}

/** Index just past `</name ...>` (or the end), for script/style whose text is not markup. */
function skipRawText(html: string, from: number, name: string): number {
  let k = from;
  for (;;) {
    const lt = html.indexOf("</", k);
    if (lt < 0) return html.length;
    const after = lt + 2 + name.length;
    if (
      html.slice(lt + 2, after).toLowerCase() === name &&
      !isTagNameChar(html.charCodeAt(after))
    ) {
      const end = html.indexOf(">", after);
      return end < 0 ? html.length : end + 1;
    }
    k = lt + 2;
  }
}

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

// Bounded alternatives, no nested quantifiers: linear in the input.
const ENTITY_RE = /&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]{0,31}));/g;

/** Decode character references: numeric ones and the few named ones pages use. */
export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(ENTITY_RE, (whole, dec?: string, hex?: string, named?: string) => {
    if (named !== undefined) return Object.hasOwn(NAMED, named) ? (NAMED[named] ?? whole) : whole;
    const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? "", 16);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\ufffd";
    return String.fromCodePoint(cp);
  });
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isTagNameChar(c: number): boolean {
  return isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d; /* - */
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}
