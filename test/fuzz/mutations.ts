/**
 * Hostile-input helpers for the fuzz suites (fast-check): arbitraries for
 * strings, bytes and JSON, mutations of real inputs (byte flips,
 * truncations, insertions, JSON field deletions, type swaps and bit flips
 * inside base64 values), and the property every parser must have: it returns,
 * or throws a PyprovError, within a time bound.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { PyprovError } from "../../src/errors.js";

/** Runs per property: enough to find shallow bugs, small enough for a ~60 s suite on 2 cores. */
export const RUNS = Number(process.env.PYPROV_FUZZ_RUNS ?? 200);
/**
 * A fixed seed by default, so that every run of the suite tries the same
 * inputs; `PYPROV_FUZZ_SEED=random` (with a larger PYPROV_FUZZ_RUNS) explores.
 * A failure prints its seed and path for fc.assert to replay.
 */
const SEED_ENV = process.env.PYPROV_FUZZ_SEED ?? "20261127";
export const SEED: number | undefined = SEED_ENV === "random" ? undefined : Number(SEED_ENV);

/** fc.assert parameters: the run count and the seed. */
export function params(numRuns = RUNS): { numRuns: number; seed?: number } {
  return SEED === undefined ? { numRuns } : { numRuns, seed: SEED };
}
/** One parser call may take this long at most (a hang or a quadratic blow-up fails). */
export const CALL_LIMIT_MS = 2_000;
/** vitest timeout for one property. */
export const PROPERTY_TIMEOUT_MS = 60_000;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Call `f`; it must return or throw a PyprovError, within CALL_LIMIT_MS. */
export function returnsOrPyprovError<T>(f: () => T, label = ""): T | PyprovError {
  const start = performance.now();
  let out: T | PyprovError;
  try {
    out = f();
  } catch (err) {
    if (!(err instanceof PyprovError)) {
      throw new Error(`${label}: threw ${describe(err)} instead of a PyprovError`, { cause: err });
    }
    expect(err.oneLine(), label).not.toMatch(/\n/);
    out = err;
  }
  expect(performance.now() - start, `${label}: took too long`).toBeLessThan(CALL_LIMIT_MS);
  return out;
}

export async function resolvesOrPyprovError<T>(
  f: () => Promise<T>,
  label = "",
): Promise<T | PyprovError> {
  const start = performance.now();
  let out: T | PyprovError;
  try {
    out = await f();
  } catch (err) {
    if (!(err instanceof PyprovError)) {
      throw new Error(`${label}: threw ${describe(err)} instead of a PyprovError`, { cause: err });
    }
    out = err;
  }
  expect(performance.now() - start, `${label}: took too long`).toBeLessThan(CALL_LIMIT_MS);
  return out;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

// --- arbitraries ---------------------------------------------------------------

/** Any text: code points of every plane, including controls and lone surrogates. */
export const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.string({ maxLength: 300 }),
);

/** Any bytes, as a Buffer. */
export const anyBytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));

/** Any JSON document's text. */
export const anyJsonText = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v));

/** Text built from tokens a parser cares about, glued with random text. */
export function tokenText(tokens: readonly string[]): fc.Arbitrary<string> {
  return fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...tokens) },
        { weight: 1, arbitrary: anyText },
      ),
      {
        maxLength: 40,
      },
    )
    .map((parts) => parts.join(""));
}

// --- mutations -----------------------------------------------------------------

export type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete-field"; at: number }
  | { op: "swap-type"; at: number; value: Json }
  | { op: "flip-base64"; at: number; byte: number; bit: number }
  | { op: "duplicate-line"; at: number };

const swapValues: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1e308, "", "0", [], {}, "AAAA", "-1", [null], {
    a: 1,
  }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ op: fc.constant("delete-field" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swap-type" as const), at: fc.nat(), value: swapValues }),
  fc.record({
    op: fc.constant("flip-base64" as const),
    at: fc.nat(),
    byte: fc.nat(),
    bit: fc.nat(7),
  }),
  fc.record({ op: fc.constant("duplicate-line" as const), at: fc.nat() }),
);

type Slot = { parent: Json[] | { [key: string]: Json }; key: string | number };

function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach((child, i) => {
        out.push({ parent: v, key: i });
        walk(child);
      });
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        out.push({ parent: v, key: k });
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Apply one mutation; JSON mutations fall back to byte flips on non-JSON input. */
export function mutate(raw: Buffer, m: Mutation): Buffer {
  const at = (n: number, len: number): number => (len === 0 ? 0 : n % len);
  switch (m.op) {
    case "flip": {
      if (raw.length === 0) return raw;
      const out = Buffer.from(raw);
      const i = at(m.at, out.length);
      out[i] = out[i]! ^ (1 << m.bit);
      return out;
    }
    case "truncate":
      return raw.subarray(0, at(m.at, raw.length));
    case "insert": {
      const i = at(m.at, raw.length + 1);
      return Buffer.concat([raw.subarray(0, i), Buffer.from(m.bytes), raw.subarray(i)]);
    }
    case "duplicate-line": {
      const lines = raw.toString("utf8").split("\n");
      const i = at(m.at, lines.length);
      lines.splice(i, 0, lines[i]!);
      return Buffer.from(lines.join("\n"));
    }
    default:
      return mutateJson(raw, m) ?? mutate(raw, { op: "flip", at: m.at, bit: 0 });
  }
}

function mutateJson(raw: Buffer, m: Mutation): Buffer | undefined {
  let root: Json;
  try {
    root = JSON.parse(raw.toString("utf8")) as Json;
  } catch {
    return undefined;
  }
  if (m.op === "flip-base64") {
    const candidates = slots(root).filter((s) => {
      const v = (s.parent as Record<string | number, Json>)[s.key];
      return typeof v === "string" && v.length >= 4 && B64.test(v);
    });
    if (candidates.length === 0) return undefined;
    const s = candidates[m.at % candidates.length]!;
    const parent = s.parent as Record<string | number, Json>;
    const bytes = Buffer.from(parent[s.key] as string, "base64");
    const i = m.byte % bytes.length;
    bytes[i] = bytes[i]! ^ (1 << m.bit);
    parent[s.key] = bytes.toString("base64");
  } else {
    const all = slots(root);
    if (all.length === 0) return undefined;
    const s = all[m.at % all.length]!;
    if (m.op === "delete-field") {
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
    } else if (m.op === "swap-type") {
      (s.parent as Record<string | number, Json>)[s.key] = m.value;
    }
  }
  return Buffer.from(JSON.stringify(root));
}
