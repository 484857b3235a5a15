/**
 * `pyprov serve`: run the verifying index (serve/server.ts) until SIGTERM or
 * SIGINT. The first stdout line is the index URL to give pip.
 */
import { PyprovError } from "../errors.js";
import { startServe } from "../serve/server.js";
import type { Io } from "./main.js";
import { serveOptionsFrom } from "./serve-options.js";
import { openServeState } from "./serve-state.js";

export async function runServe(
  opts: Record<string, unknown>,
  io: Io,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  const options = await serveOptionsFrom(opts, io);
  const { host, port, mode, upstream } = options;
  const state = await openServeState(opts, {
    port,
    cacheDir: options.cacheDir,
    env: io.env,
    log: options.log ?? (() => {}),
  });
  let running;
  try {
    running = await startServe({ ...options, ...state.options });
  } catch (err) {
    await state.store.close();
    if (err instanceof PyprovError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new PyprovError("USAGE", `cannot listen on ${host}:${port}: ${e.code ?? e.message}`);
  }
  const server = running;
  // Listen for the signals before announcing the URL: whoever reads the line may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      signals.off("SIGTERM", stop);
      signals.off("SIGINT", stop);
      io.stderr("pyprov serve: stopping; letting in-flight responses finish\n");
      void server
        .close()
        .then(() => state.store.close())
        .then(resolve);
    };
    signals.on("SIGTERM", stop);
    signals.on("SIGINT", stop);
  });
  io.stdout(`${running.url}\n`);
  io.stderr(
    `pyprov serve: node ${running.node}, state in ${state.store.description}\n` +
      `pyprov serve: ${mode === "enforce" ? "serving only verified files" : "audit mode: serving every file, logging what enforce would block"} from ${upstream} at ${running.url} (Ctrl-C to stop)\n`,
  );
  await stopped;
  return 0;
}
