/**
 * A wheel's or an installed distribution's RECORD (the binary distribution
 * format spec; PEP 376/627): CSV rows `path,hash,size`, where hash is
 * `ALGORITHM=DIGEST` with the digest in URL-safe base64 without padding.
 *
 * - Only sha256, sha384 and sha512 are accepted (the spec forbids md5 and
 *   sha1); any other algorithm, a digest of the wrong length or a malformed
 *   row is an error naming the line.
 * - A row may have no hash and no size only for the RECORD itself and its
 *   signatures (RECORD.jws, RECORD.p7s) and, in an installed RECORD, for
 *   files the installer wrote without hashing them (`.pyc`): the caller
 *   decides what an unhashed row may be.
 * - Paths use "/"; a path that is absolute, or contains a `..` segment, is
 *   kept as written (an installed RECORD names scripts as `../../../bin/x`);
 *   whether it is allowed is the caller's rule.
 */
import { PyprovError } from "../errors.js";

export type RecordAlgorithm = "sha256" | "sha384" | "sha512";

export interface RecordEntry {
  path: string;
  /** Lowercase hex; undefined when the row has no hash. */
  hash: { algorithm: RecordAlgorithm; hex: string } | undefined;
  size: number | undefined;
  line: number;
}

const DIGEST_BYTES: Record<RecordAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Most rows one RECORD may have (a large distribution has some tens of thousands). */
export const MAX_RECORD_ROWS = 200_000;

export function parseRecord(text: string, source: string): RecordEntry[] {
  const entries: RecordEntry[] = [];
  const seen = new Set<string>();
  for (const { fields, line } of csvRows(text, source)) {
    if (fields.length === 1 && fields[0] === "") continue;
    if (fields.length !== 3) {
      throw bad(source, line, `a RECORD row has 3 fields (path,hash,size), not ${fields.length}`);
    }
    const [path = "", hashText = "", sizeText = ""] = fields;
    if (path === "") throw bad(source, line, "a RECORD row has an empty path");
    if (seen.has(path)) throw bad(source, line, `${JSON.stringify(path)} is listed twice`);
    seen.add(path);
    let size: number | undefined;
    if (sizeText !== "") {
      if (!/^\d{1,15}$/.test(sizeText)) {
        throw bad(source, line, `size ${JSON.stringify(sizeText)} is not a whole number`);
      }
      size = Number(sizeText);
    }
    entries.push({
      path,
      hash: hashText === "" ? undefined : parseHash(hashText, source, line),
      size,
      line,
    });
    if (entries.length > MAX_RECORD_ROWS) {
      throw new PyprovError("INPUT_TOO_LARGE", `more than ${MAX_RECORD_ROWS} RECORD rows`, {
        source,
      });
    }
  }
  return entries;
}

function parseHash(text: string, source: string, line: number): RecordEntry["hash"] {
  const eq = text.indexOf("=");
  const algorithm = text.slice(0, eq);
  const digest = text.slice(eq + 1);
  if (eq < 0 || !(algorithm in DIGEST_BYTES)) {
    throw bad(
      source,
      line,
      `hash ${JSON.stringify(text.slice(0, 80))}: only sha256, sha384 and sha512 are accepted`,
    );
  }
  const alg = algorithm as RecordAlgorithm;
  if (!/^[A-Za-z0-9_-]+$/.test(digest)) {
    throw bad(source, line, `${alg} digest is not URL-safe base64 without padding`);
  }
  const bytes = Buffer.from(digest, "base64url");
  if (bytes.length !== DIGEST_BYTES[alg] || bytes.toString("base64url") !== digest) {
    throw bad(source, line, `${alg} digest is not ${DIGEST_BYTES[alg]} bytes`);
  }
  return { algorithm: alg, hex: bytes.toString("hex") };
}

/** Python's csv module's default dialect: "," separated, '"' quoted, '""' an escaped quote. */
function* csvRows(text: string, source: string): Generator<{ fields: string[]; line: number }> {
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = "";
    for (;;) {
      if (text[i] === '"' && field === "") {
        i++;
        for (;;) {
          if (i >= text.length) throw bad(source, start, "a quoted field is not closed");
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === "\n") line++;
          field += c;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          throw bad(source, start, "text after a quoted field");
        }
      }
      const c = text[i];
      if (c === undefined || c === "\n" || (c === "\r" && text[i + 1] === "\n")) {
        fields.push(field);
        i += c === "\r" ? 2 : c === "\n" ? 1 : 0;
        line++;
        break;
      }
      if (c === ",") {
        fields.push(field);
        field = "";
        i++;
        continue;
      }
      field += c;
      i++;
    }
    yield { fields, line: start };
  }
}

function bad(source: string, line: number, message: string): PyprovError {
  return new PyprovError("INPUT_MALFORMED", `line ${line}: ${message}`, { source });
}
