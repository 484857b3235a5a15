/**
 * pyprov's English zod messages come from a per-parse option (ENGLISH), not
 * from zod's process-wide config: importing pyprov leaves zod's messages for
 * everyone else as zod/mini makes them. Every parse in src/ passes it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { ENGLISH } from "../../src/util/zod.js";
import { REPO_ROOT } from "../support/corpus.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [join(dir, e.name)]
        : [],
  );
}

/** Not zod schemas: their parse() is something else. */
const NOT_ZOD = new Set(["JSON", "Date", "X509Certificate", "CoreX509Certificate", "ASN1Obj"]);

describe("ENGLISH", () => {
  it("gives English issue messages", () => {
    const r = z.object({ a: z.string() }).safeParse({ a: 1 }, ENGLISH);
    expect(r.error?.issues[0]?.message).toBe("Invalid input: expected string, received number");
  });

  it("leaves zod's own configuration alone (with src/ imported)", async () => {
    await import("../../src/index.js");
    expect(z.config().localeError).toBeUndefined();
    expect(z.string().safeParse(1).error?.issues[0]?.message).toBe("Invalid input");
  });

  it("is passed by every zod parse in src/", () => {
    const missing: string[] = [];
    for (const file of sourceFiles(join(REPO_ROOT, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\b([A-Za-z_$][\w$]*)\.(safeParse|parse)\(/g)) {
        if (NOT_ZOD.has(m[1]!)) continue;
        // The call's arguments, up to the matching parenthesis.
        let depth = 1;
        let i = m.index + m[0].length;
        for (; i < text.length && depth > 0; i++) {
          if (text[i] === "(") depth++;
          else if (text[i] === ")") depth--;
        }
        const args = text.slice(m.index + m[0].length, i - 1);
        if (!/\bENGLISH\b/.test(args)) {
          const line = text.slice(0, m.index).split("\n").length;
          missing.push(`${file.slice(REPO_ROOT.length + 1)}:${line}: ${m[0]}${args})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
