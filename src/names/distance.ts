/**
 * Damerau-Levenshtein distance (the "optimal string alignment" variant:
 * insertions, deletions, substitutions and transpositions of two adjacent
 * characters, each costing 1), with an early exit once the distance is
 * known to exceed a bound.
 */

/** The distance between `a` and `b`, or `max + 1` as soon as it is known to exceed `max`. */
export function damerauLevenshtein(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prevPrev[j - 2]! + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    prevPrev = prev;
    prev = cur;
  }
  const d = prev[n]!;
  return d > max ? max + 1 : d;
}

/**
 * How many edits still count as "close" to a name of this length: none
 * below 5 characters (short names are too dense: six, sip, six), one up to 8,
 * two from 9 on.
 */
export function editBudget(length: number): number {
  if (length < 5) return 0;
  if (length <= 8) return 1;
  return 2;
}
