/**
 * `pyprov state migrate` and `pyprov decisions` on real stores (a SQLite file
 * and a real PostgreSQL): every format, the filters, the JSON output against
 * its published schema (docs/schemas/pyprov-decisions-v1.schema.json, checked
 * to be what src/state/schema.ts generates), and one-line usage errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../src/state/migrations.js";
import { openState } from "../../src/state/open.js";
import { decisionsJsonSchema } from "../../src/state/schema.js";
import type { DecisionRow } from "../../src/state/types.js";
import { runCli, spawnCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/corpus.js";
import { startPostgres, type PostgresServer } from "../support/postgres.js";
import { row } from "../state/backends.js";

const SCHEMA_PATH = join(REPO_ROOT, "docs", "schemas", "pyprov-decisions-v1.schema.json");
const UPDATE = process.env.PYPROV_UPDATE_GOLDEN === "1";

const dir = mkdtempSync(join(tmpdir(), "pyprov-decisions-cli-"));
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => {
  pg?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const addFormats = ajvFormats.default;
function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as object);
}

/** Rows of every verdict, with text a CSV and a terminal must handle. */
function sampleRows(): DecisionRow[] {
  return [
    row({ time: "2026-12-01T10:00:00Z", project: "alpha", verdict: "served", reasons: [] }),
    row({
      time: "2026-12-01T11:00:00Z",
      project: "beta",
      verdict: "blocked",
      reasons: ['POLICY_PUBLISHER: "github:evil/pkg", not in the policy', "=cmd|' /C calc'!A0"],
      client: "10.0.0.7",
    }),
    row({
      time: "2026-12-02T09:30:00.250Z",
      project: "alpha",
      verdict: "allowed-unattested",
      reasons: ["no provenance\u001b[31m (allowed)"],
      mode: "audit",
      node: "ci-2:8750",
    }),
  ];
}

async function seeded(url: string): Promise<DecisionRow[]> {
  const rows = sampleRows();
  const s = await openState(url, { migrate: true });
  await s.appendDecisions(rows);
  await s.close();
  return rows;
}

let sqliteN = 0;
const sqliteUrl = () => `sqlite:${join(dir, `s${++sqliteN}`, "state.db")}`;

/** A minimal RFC 4180 reader (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let rowCells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      rowCells.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      rowCells.push(cell);
      out.push(rowCells);
      rowCells = [];
      cell = "";
      i++;
    } else cell += c;
  }
  return out;
}

describe("the decision log's JSON Schema", () => {
  it("docs/schemas/pyprov-decisions-v1.schema.json is what src/state/schema.ts generates", () => {
    const generated = decisionsJsonSchema();
    if (UPDATE) writeFileSync(SCHEMA_PATH, JSON.stringify(generated, null, 2) + "\n");
    expect(JSON.parse(readFileSync(SCHEMA_PATH, "utf8"))).toEqual(generated);
    expect(generated.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("rejects what it should (it is not vacuous)", () => {
    const validate = validator();
    const ok = { ...sampleRows()[0]! };
    expect(validate([ok])).toBe(true);
    for (const bad of [
      { ...ok, verdict: "maybe" },
      { ...ok, time: "yesterday" },
      { ...ok, sha256: "ABC" },
      { ...ok, reasons: "none" },
      (({ node: _n, ...rest }) => rest)(ok),
    ]) {
      expect(validate([bad]), JSON.stringify(bad)).toBe(false);
    }
    expect(validate(ok)).toBe(false);
  });
});

describe.each([
  ["sqlite", () => Promise.resolve(sqliteUrl())],
  ["postgres", () => pg.createDatabase()],
] as const)("pyprov decisions and state migrate: %s", (_name, fresh) => {
  it("state migrate: creates the schema once, then has nothing to do", async () => {
    const url = await fresh();
    const first = await runCli(["state", "migrate", "--state", url]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(
      new RegExp(`: migrated from schema version 0 to ${SCHEMA_VERSION} \\(applied 1\\)\\n$`),
    );
    expect(first.stdout).not.toContain(pg.password);
    const second = await runCli(["state", "migrate", "--state", url]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      new RegExp(`at schema version ${SCHEMA_VERSION}, nothing to migrate\\n$`),
    );
  });

  it("every format shows the same rows, in log order; json validates against the schema", async () => {
    const url = await fresh();
    const rows = await seeded(url);

    const json = await runCli(["decisions", "--state", url, "--format", "json"]);
    expect(json).toMatchObject({ code: 0, stderr: "" });
    const doc = JSON.parse(json.stdout) as DecisionRow[];
    const validate = validator();
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc).toEqual(rows.map((r) => ({ ...r, time: new Date(r.time).toISOString() })));
    expect(Object.keys(doc[0]!)).toEqual([
      "id",
      "time",
      "node",
      "client",
      "project",
      "filename",
      "sha256",
      "verdict",
      "reasons",
      "policy_sha256",
      "mode",
    ]);

    const jsonl = await runCli(["decisions", "--state", url, "--format", "jsonl"]);
    expect(jsonl.code).toBe(0);
    const lines = jsonl.stdout.trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(doc);

    const csv = await runCli(["decisions", "--state", url, "--format", "csv"]);
    expect(csv.code).toBe(0);
    const table = parseCsv(csv.stdout);
    expect(table[0]).toEqual(Object.keys(doc[0]!));
    expect(table).toHaveLength(4);
    expect(table.slice(1).map((r) => r[0])).toEqual(rows.map((r) => r.id));
    // Reasons are a JSON array in one cell: commas and quotes survive.
    expect(JSON.parse(table[2]![8]!)).toEqual(rows[1]!.reasons);
    expect(table[3]![7]).toBe("allowed-unattested");

    const human = await runCli(["decisions", "--state", url]);
    expect(human.code).toBe(0);
    const out = human.stdout.split("\n");
    expect(out[0]).toMatch(/^TIME +NODE +CLIENT +PROJECT +FILENAME +VERDICT +MODE +REASONS$/);
    expect(out).toHaveLength(5);
    expect(out[2]).toContain("blocked");
    expect(out[2]).toContain("POLICY_PUBLISHER");
    // A control character from the log is escaped, never written raw.
    expect(human.stdout).not.toContain("\u001b");
    expect(out[3]).toContain("\\x1b[31m");
  });

  it("filters by --since, --project and --verdict", async () => {
    const url = await fresh();
    const rows = await seeded(url);
    const ids = async (...args: string[]) => {
      const r = await runCli(["decisions", "--state", url, "--format", "json", ...args]);
      expect(r.stderr).toBe("");
      return (JSON.parse(r.stdout) as DecisionRow[]).map((d) =>
        rows.findIndex((x) => x.id === d.id),
      );
    };
    expect(await ids("--project", "Alpha")).toEqual([0, 2]);
    expect(await ids("--verdict", "blocked")).toEqual([1]);
    expect(await ids("--since", "2026-12-01T10:30:00Z")).toEqual([1, 2]);
    expect(await ids("--since", "2026-12-02")).toEqual([2]);
    expect(await ids("--since", "2026-12-01T12:30:00+02:00")).toEqual([1, 2]);
    expect(await ids("--since", "1h")).toEqual([]);
    expect(await ids("--project", "alpha", "--verdict", "served")).toEqual([0]);
    const none = await runCli(["decisions", "--state", url, "--project", "gamma"]);
    expect(none).toMatchObject({ code: 0, stdout: "no decisions\n" });
    const empty = await runCli([
      "decisions",
      "--state",
      url,
      "--project",
      "gamma",
      "--format",
      "json",
    ]);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it("a store with a newer schema: exit 2, one line, STATE_SCHEMA's words", async () => {
    const url = await fresh();
    await seeded(url);
    if (url.startsWith("sqlite:")) {
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(url.slice("sqlite:".length));
      db.exec(
        `INSERT INTO pyprov_schema_version VALUES (${SCHEMA_VERSION + 1}, 'future', '2027-01-01')`,
      );
      db.close();
    } else {
      const { default: pgLib } = await import("pg");
      const c = new pgLib.Client({ connectionString: url });
      await c.connect();
      await c.query(
        `INSERT INTO pyprov_schema_version (version, description) VALUES ($1, 'future')`,
        [SCHEMA_VERSION + 1],
      );
      await c.end();
    }
    for (const args of [
      ["decisions", "--state", url],
      ["state", "migrate", "--state", url],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`newer than this pyprov knows (${SCHEMA_VERSION})`);
    }
  });
});

describe("pyprov decisions: where the store is, and bad input", () => {
  it("--state defaults to $PYPROV_STATE, else the SQLite file under the cache directory", async () => {
    const cacheDir = join(dir, "cache");
    const env = { PYPROV_CACHE_DIR: cacheDir };
    // Nothing there yet: reading creates nothing and says so.
    const missing = await runCli(["decisions"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `pyprov: sqlite:${join(cacheDir, "state", "pyprov.db")}: no state store here (nothing recorded yet?)\n`,
    );
    expect((await runCli(["state", "migrate"], env)).code).toBe(0);
    const s = await openState(undefined, { migrate: false, env });
    await s.appendDecisions([row()]);
    await s.close();
    expect(JSON.parse((await runCli(["decisions", "--format", "json"], env)).stdout)).toHaveLength(
      1,
    );

    const other = await pg.createDatabase();
    await seeded(other);
    const fromEnv = await runCli(["decisions", "--format", "json"], {
      ...env,
      PYPROV_STATE: other,
    });
    expect(JSON.parse(fromEnv.stdout)).toHaveLength(3);
  });

  it("bad --since, --verdict, --format, --project or --state: exit 2 with one line", async () => {
    const url = sqliteUrl();
    await seeded(url);
    for (const [args, message] of [
      [["--since", "last tuesday"], /--since must be an RFC 3339 time .* not "last tuesday"/],
      [["--since", "2026-02-30"], /--since must be/],
      [["--since", "2026-12-01T10:00:00"], /--since must be/],
      [["--verdict", "passed"], /--verdict.*passed.*invalid/],
      [["--format", "xml"], /--format.*xml.*invalid/],
      [["--project", "-bad-"], /--project: not a valid project name/],
      [["--state", "mysql://u:pw@h/db"], /--state must be sqlite:PATH or a postgres:\/\/ URL/],
    ] as const) {
      const r = await runCli(["decisions", "--state", url, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it("PostgreSQL down: exit 2, one line, no password (the real binary)", async () => {
    const url = await pg.createDatabase();
    await seeded(url);
    const up = spawnCli(["decisions", "--state", url, "--format", "jsonl"]);
    expect(up.code).toBe(0);
    expect(up.stdout.trimEnd().split("\n")).toHaveLength(3);
    pg.stop();
    try {
      const down = spawnCli(["decisions", "--state", url]);
      expect(down.code).toBe(2);
      expect(down.stdout).toBe("");
      expect(down.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(down.stderr).toMatch(
        /^pyprov: postgres:\/\/pyprov:\*\*\*@127\.0\.0\.1:\d+\/\w+: cannot open the state store: .*ECONNREFUSED/,
      );
      expect(down.stderr).not.toContain(pg.password);
      const migrate = spawnCli(["state", "migrate", "--state", url]);
      expect(migrate.code).toBe(2);
      expect(migrate.stderr).not.toContain(pg.password);
    } finally {
      pg.start();
    }
  });
});
