/**
 * `pyprov state migrate [--state URL]`: bring the state store's schema to
 * this build's version (idempotent; safe while other nodes migrate or run).
 * A schema newer than this build is refused (STATE_SCHEMA, exit 2).
 */
import { safeText } from "../util/text.js";
import type { Io } from "./main.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export async function runStateMigrate(opts: Record<string, unknown>, io: Io): Promise<number> {
  const { openState } = await import("../state/open.js");
  const store = await openState(str(opts.state), { migrate: true, env: io.env });
  try {
    const m = store.migration!;
    io.stdout(
      safeText(
        m.applied.length > 0
          ? `${store.description}: migrated from schema version ${m.from} to ${m.to} (applied ${m.applied.join(", ")})`
          : `${store.description}: at schema version ${m.to}, nothing to migrate`,
      ) + "\n",
    );
  } finally {
    await store.close();
  }
  return 0;
}
