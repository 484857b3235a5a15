/**
 * The decision journal: decision-log rows queued on local disk while the
 * state store cannot be reached, written to it later in order, exactly once.
 *
 * - One JSON row per line, appended and fsync'd before append() resolves: a
 *   row the caller was told is queued survives a crash of the process.
 * - A crash in the middle of an append leaves at most a torn last line (no
 *   newline, or not JSON): it is ignored, and cut off when the journal is
 *   next opened, so the next row starts on a line of its own. A complete
 *   line that is not a decision row (a damaged disk, a hand edit) is moved to
 *   `<journal>.rejected` with a warning: never written as a decision, never
 *   silently dropped.
 * - flush(store) appends the queued rows to the store, then rewrites the
 *   journal without them (a temporary file renamed over it). A crash between
 *   the two leaves rows that the store already holds: flushed again, they
 *   change nothing, because every row carries a stable id and the store skips
 *   ids it already holds. Hence exactly once.
 *
 * One journal file belongs to one process (each node has its own: the
 * default name carries the node's name).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { appendFile, open, rename, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PyprovError, describeError } from "../errors.js";
import { parseDecisionRow } from "./schema.js";
import type { DecisionRow, StateStore } from "./types.js";

/** Rows per appendDecisions call while flushing. */
const FLUSH_BATCH = 500;

export interface JournalOptions {
  /** Where a damaged line went (one line each). */
  onWarning?: (message: string) => void;
}

/** `<cacheDir>/state/journal-<node>.jsonl`, the node name made safe for a file name. */
export function journalPath(cacheDir: string, node: string): string {
  const safe = node.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100) || "node";
  return join(cacheDir, "state", `journal-${safe}.jsonl`);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every file system lets a directory be fsync'd; the rename is still atomic.
  }
}

/** A tiny mutex: operations on the file run one at a time, in call order. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => {});
    return next;
  }
}

export class DecisionJournal {
  readonly path: string;
  private rows: DecisionRow[];
  private handle: FileHandle | undefined;
  private readonly serial = new Serial();
  private readonly flushing = new Serial();
  private closed = false;

  private constructor(path: string, rows: DecisionRow[]) {
    this.path = path;
    this.rows = rows;
  }

  /**
   * Open (creating) the journal at `path`: read its complete rows, cut off a
   * torn last line, move damaged lines aside.
   */
  static async open(path: string, opts: JournalOptions = {}): Promise<DecisionJournal> {
    const warn = opts.onWarning ?? (() => {});
    try {
      mkdirSync(dirname(path), { recursive: true });
      const text = existsSync(path) ? readFileSync(path, "utf8") : "";
      const end = text.lastIndexOf("\n") + 1; // everything after the last newline is torn
      const rows: DecisionRow[] = [];
      const rejected: string[] = [];
      const lines = text.slice(0, end).split("\n").slice(0, -1);
      for (const [i, line] of lines.entries()) {
        if (line.trim() === "") continue;
        try {
          rows.push(parseDecisionRow(JSON.parse(line), "STATE_SCHEMA", `line ${i + 1}`));
        } catch (err) {
          rejected.push(line);
          warn(
            `${path}: line ${i + 1} is not a decision row, moved to ${path}.rejected (${describeError(err)})`,
          );
        }
      }
      if (end < text.length) {
        warn(`${path}: ignored a torn last line (${text.length - end} bytes): a crash mid-write`);
      }
      if (rejected.length > 0) {
        await appendFile(`${path}.rejected`, rejected.map((l) => l + "\n").join(""), {
          flush: true,
        });
      }
      const journal = new DecisionJournal(path, rows);
      if (end < text.length || rejected.length > 0) await journal.rewrite(rows);
      return journal;
    } catch (err) {
      if (err instanceof PyprovError) throw err;
      throw new PyprovError(
        "STATE_UNAVAILABLE",
        `cannot open the decision journal: ${describeError(err)}`,
        {
          source: path,
          cause: err,
        },
      );
    }
  }

  /** Rows waiting for the store. */
  get queued(): number {
    return this.rows.length;
  }

  /** The queued rows, oldest first (a copy). */
  pending(): DecisionRow[] {
    return [...this.rows];
  }

  /** Queue rows; resolves once they are on disk (fsync'd). */
  append(rows: DecisionRow[]): Promise<void> {
    const parsed = rows.map((r, i) => parseDecisionRow(r, "INTERNAL", `decision row ${i + 1}`));
    return this.serial.run(async () => {
      this.assertOpen();
      if (parsed.length === 0) return;
      try {
        this.handle ??= await open(this.path, "a");
        await this.handle.write(parsed.map((r) => JSON.stringify(r) + "\n").join(""));
        await this.handle.datasync();
      } catch (err) {
        throw new PyprovError(
          "STATE_UNAVAILABLE",
          `cannot write the decision journal: ${describeError(err)}`,
          {
            source: this.path,
            cause: err,
          },
        );
      }
      this.rows.push(...parsed);
    });
  }

  /**
   * Write the queued rows to `store`, oldest first, and drop them from the
   * journal; resolves to the number written. When the store fails part way,
   * the rows it took are dropped and the rest stay queued, and the store's
   * error is thrown.
   */
  flush(store: StateStore): Promise<number> {
    // Flushes run one at a time; appends go on meanwhile (the store may take
    // its connect timeout to fail), and only the rewrite waits for them.
    return this.flushing.run(async () => {
      this.assertOpen();
      const rows = this.rows.slice();
      let written = 0;
      let failure: unknown;
      while (written < rows.length) {
        const batch = rows.slice(written, written + FLUSH_BATCH);
        try {
          await store.appendDecisions(batch);
        } catch (err) {
          failure = err;
          break;
        }
        written += batch.length;
      }
      // Only flush removes rows, always a prefix: rows appended since stay.
      if (written > 0) await this.serial.run(() => this.rewrite(this.rows.slice(written)));
      if (failure !== undefined) throw failure;
      return written;
    });
  }

  /** Replace the file's content with `rows` atomically (temp file, fsync, rename). */
  private async rewrite(rows: DecisionRow[]): Promise<void> {
    const tmp = `${this.path}.tmp`;
    try {
      await this.handle?.close();
      this.handle = undefined;
      const out = await open(tmp, "w");
      try {
        await out.write(rows.map((r) => JSON.stringify(r) + "\n").join(""));
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, this.path);
      fsyncDir(dirname(this.path));
    } catch (err) {
      throw new PyprovError(
        "STATE_UNAVAILABLE",
        `cannot rewrite the decision journal: ${describeError(err)}`,
        {
          source: this.path,
          cause: err,
        },
      );
    }
    this.rows = rows;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new PyprovError("INTERNAL", "the decision journal is closed", { source: this.path });
    }
  }

  /** Close the file (queued rows stay on disk for the next open). */
  close(): Promise<void> {
    return this.serial.run(async () => {
      this.closed = true;
      await this.handle?.close();
      this.handle = undefined;
    });
  }
}
