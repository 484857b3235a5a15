/**
 * `--timeout SECONDS` and `--deadline SECONDS`, shared by `verify`, `policy
 * init` and `policy diff`: every index request has a deadline (connect to
 * last byte), and so does the whole run, so that no index can hold a run open.
 */
import { PyprovError } from "../errors.js";
import { DEFAULT_TIMEOUT_MS, runDeadlineSignal } from "../pypi/http-light.js";
import type { IndexClientOptions } from "../pypi/index-client.js";

/** The run's deadline, unless --deadline says otherwise: this many request deadlines. */
export const RUN_DEADLINE_TIMEOUTS = 60;
/** Upper bound of both flags: a day. */
const MAX_SECONDS = 86_400;

/** A positive number of seconds (decimals allowed) as ms; undefined when absent. USAGE error otherwise. */
export function secondsOption(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const text = String(v).trim();
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0) || n > MAX_SECONDS) {
    throw new PyprovError(
      "USAGE",
      `--${flag} must be a positive number of seconds (at most ${MAX_SECONDS}), got "${String(v)}"`,
    );
  }
  return Math.max(1, Math.ceil(n * 1000));
}

/**
 * The index options the two flags give: the per-request deadline, and a
 * signal that abandons every request once the run's deadline (--deadline,
 * default {@link RUN_DEADLINE_TIMEOUTS} × --timeout) has passed. Call it
 * when the run starts: the run's clock starts here.
 */
export function networkOptions(
  opts: Record<string, unknown>,
): Pick<IndexClientOptions, "timeoutMs" | "signal"> {
  const timeoutMs = secondsOption("timeout", opts.timeout);
  const deadlineMs =
    secondsOption("deadline", opts.deadline) ??
    RUN_DEADLINE_TIMEOUTS * (timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const what =
    opts.deadline !== undefined ? "--deadline" : `${RUN_DEADLINE_TIMEOUTS} × --timeout; --deadline`;
  return {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    signal: runDeadlineSignal(deadlineMs, what),
  };
}
