/**
 * PEP 691 content negotiation: which project-page format an Accept header
 * asks for, by q-value; ties go to the server's order (JSON first).
 */

export const JSON_V1 = "application/vnd.pypi.simple.v1+json";
export const HTML_V1 = "application/vnd.pypi.simple.v1+html";
export const TEXT_HTML = "text/html";

/** What the proxy can serve, in order of preference. */
const OFFERED = [JSON_V1, HTML_V1, TEXT_HTML] as const;
export type PageType = (typeof OFFERED)[number];

interface Range {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  for (const part of header.split(",")) {
    const [mime = "", ...params] = part.split(";").map((s) => s.trim());
    const [type, subtype] = mime.toLowerCase().split("/");
    if (!type || !subtype) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split("=").map((s) => s.trim());
      if (k?.toLowerCase() === "q") {
        const n = Number(v);
        q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(v ?? "") && Number.isFinite(n) ? n : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** The q-value the most specific matching range gives `offered` (0 when none matches). */
function qualityOf(offered: string, ranges: Range[]): number {
  const [type, subtype] = offered.split("/");
  let best: { specificity: number; q: number } | undefined;
  for (const r of ranges) {
    const specificity =
      r.type === type && r.subtype === subtype
        ? 2
        : r.type === type && r.subtype === "*"
          ? 1
          : r.type === "*" && r.subtype === "*"
            ? 0
            : -1;
    if (specificity < 0) continue;
    if (!best || specificity > best.specificity) best = { specificity, q: r.q };
  }
  return best?.q ?? 0;
}

/**
 * The page type to answer with, or undefined when nothing offered is
 * acceptable (406). No Accept header (or an empty one) means text/html, as
 * PEP 691 recommends for clients that do not negotiate.
 */
export function negotiate(accept: string | undefined): PageType | undefined {
  if (accept === undefined || accept.trim() === "") return TEXT_HTML;
  const ranges = parseAccept(accept);
  let chosen: PageType | undefined;
  let bestQ = 0;
  for (const offered of OFFERED) {
    const q = qualityOf(offered, ranges);
    if (q > bestQ) {
      bestQ = q;
      chosen = offered;
    }
  }
  return chosen;
}
