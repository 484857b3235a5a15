/**
 * `--output FILE`: the report is written atomically (a temporary file in the
 * same directory, then a rename), never to a directory, and never over a
 * file the run reads (policy, requirements file, lockfile, provenance,
 * distribution, trusted root): paths are compared after resolving symlinks,
 * and an existing file by device and inode too (hard links).
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { PyprovError, describeError } from "../errors.js";

function usage(message: string, output: string): PyprovError {
  return new PyprovError("USAGE", message, { source: `--output ${output}` });
}

/** The path with its directory's symlinks resolved (the file itself need not exist). */
function resolvedPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(resolve(path))), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

function identity(path: string): { dev: number; ino: number } | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/**
 * Throws a usage error (exit 2) when `output` cannot take the report: it is
 * empty, a directory, in a directory that does not exist, or one of `inputs`.
 */
export function checkOutputPath(output: string, inputs: readonly string[]): void {
  if (output.trim() === "") throw usage("the output file name is empty", output);
  let isDir = false;
  try {
    isDir = statSync(output).isDirectory();
  } catch {
    // Not there yet: fine, if its directory is.
  }
  if (isDir || /[\\/]$/.test(output)) throw usage("is a directory, not a file", output);
  const dir = dirname(resolve(output));
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
  } catch {
    throw usage(`the directory ${dir} does not exist`, output);
  }
  const target = resolvedPath(output);
  const targetId = identity(output);
  for (const input of inputs) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) continue;
    const sameFile =
      resolvedPath(input) === target ||
      (targetId !== undefined &&
        ((id) => id !== undefined && id.dev === targetId.dev && id.ino === targetId.ino)(
          identity(input),
        ));
    if (sameFile) {
      throw usage(`refusing to overwrite ${input}, an input of this run`, output);
    }
  }
}

/** Write `text` to `path` atomically: a temporary file beside it, then rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(
    dirname(resolve(path)),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new PyprovError("USAGE", `cannot write the report: ${describeError(err)}`, {
      source: `--output ${path}`,
    });
  }
}
