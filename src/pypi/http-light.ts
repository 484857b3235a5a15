/**
 * What code outside the HTTP client needs from it without loading node:http,
 * node:https, node:net, node:tls and node:zlib (~10 ms of start-up): the
 * request timeout's default, the run's deadline and URL redaction
 * (src/pypi/http.ts and http-exchange.ts re-export them).
 */

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A signal that aborts after `ms` with the reason "the run's deadline of N s
 * was hit (what)". Its timer does not keep the process alive.
 */
export function runDeadlineSignal(ms: number, what = "--deadline"): AbortSignal {
  const ac = new AbortController();
  const reason = new Error(
    `the run's deadline of ${Number((ms / 1000).toFixed(3))} s was hit (${what})`,
  );
  setTimeout(() => ac.abort(reason), ms).unref();
  return ac.signal;
}

/** The URL with any user:password replaced, for messages. */
export function redactUrl(u: string | URL): string {
  try {
    const x = new URL(String(u));
    if (x.username || x.password) {
      x.username = "***";
      x.password = "";
    }
    return x.href;
  } catch {
    return String(u);
  }
}
