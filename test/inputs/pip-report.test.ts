/**
 * pip's installation report parser (inputs/pip-report.ts): report versions,
 * the item kinds (index archive, direct URL, VCS, directory, editable), the
 * hash fields of old and new pips, and the line each item starts on.
 */
import { describe, expect, it } from "vitest";
import { arrayItemLines, parsePipReport } from "../../src/inputs/pip-report.js";
import { expectPyprovError, h } from "./helpers.js";

const WHEEL = "https://files.pythonhosted.org/packages/ab/cd/sampleproject-4.0.0-py3-none-any.whl";

function item(extra: Record<string, unknown> = {}, info: Record<string, unknown> = {}) {
  return {
    download_info: {
      url: WHEEL,
      archive_info: { hash: `sha256=${h("w")}`, hashes: { sha256: h("w") } },
      ...info,
    },
    is_direct: false,
    requested: true,
    metadata: { name: "sampleproject", version: "4.0.0", metadata_version: "2.1" },
    ...extra,
  };
}

const report = (install: unknown[], version: unknown = "1") =>
  Buffer.from(
    JSON.stringify({ version, pip_version: "23.2.1", install, environment: {} }, null, 2),
  );

describe("pip installation report", () => {
  it("an index archive becomes a pinned target with its file, URL and sha256", () => {
    const r = parsePipReport(report([item()]), "report.json");
    expect(r.pipVersion).toBe("23.2.1");
    expect(r.targets).toHaveLength(1);
    const t = r.targets[0];
    expect(t).toMatchObject({
      name: "sampleproject",
      version: "4.0.0",
      pinned: true,
      hashes: [h("w")],
      files: [{ filename: "sampleproject-4.0.0-py3-none-any.whl", url: WHEEL, sha256: h("w") }],
    });
    expect(t?.nonIndex).toBeUndefined();
    expect(t?.source).toStrictEqual({ file: "report.json", line: 5 });
  });

  it("reads the legacy hash field alone, upper-case hex included", () => {
    const r = parsePipReport(
      report([item({}, { archive_info: { hash: `sha256=${h("w").toUpperCase()}` } })]),
      "r.json",
    );
    expect(r.targets[0]?.files[0]?.sha256).toBe(h("w"));
  });

  it("keeps sha384/sha512 pins and leaves a hashless archive unpinned", () => {
    const sha512 = "ab".repeat(64);
    const other = parsePipReport(
      report([item({}, { archive_info: { hashes: { sha512 } } })]),
      "r.json",
    ).targets[0];
    expect(other?.otherHashes).toStrictEqual([{ algorithm: "sha512", digest: sha512 }]);
    expect(other?.pinned).toBe(true);
    expect(other?.files[0]?.sha256).toBeUndefined();
    const none = parsePipReport(report([item({}, { archive_info: {} })]), "r.json").targets[0];
    expect(none?.pinned).toBe(false);
  });

  it("direct URL, VCS, local and editable directories are not from an index", () => {
    const r = parsePipReport(
      report([
        item({ is_direct: true }),
        item({ is_direct: true }, { url: "file:///tmp/x.whl" }),
        item(
          { is_direct: true },
          {
            url: "https://github.com/pypa/sampleproject",
            archive_info: undefined,
            vcs_info: { vcs: "git", commit_id: "abc123" },
          },
        ),
        item({ is_direct: true }, { url: "file:///src/p", archive_info: undefined, dir_info: {} }),
        item(
          { is_direct: true },
          { url: "file:///src/p", archive_info: undefined, dir_info: { editable: true } },
        ),
      ]),
      "r.json",
    );
    expect(r.targets.map((t) => t.nonIndex?.kind)).toStrictEqual([
      "url",
      "path",
      "vcs",
      "directory",
      "editable",
    ]);
    expect(r.targets[2]?.nonIndex?.commit).toBe("abc123");
    expect(r.targets.every((t) => t.files.length === 0 && !t.pinned)).toBe(true);
  });

  it("refuses a missing, unknown or non-string version", () => {
    expectPyprovError(
      () => parsePipReport(Buffer.from('{"install": []}'), "r.json"),
      "INPUT_MALFORMED",
      "r.json",
      /no "version"/,
    );
    expectPyprovError(
      () => parsePipReport(report([], "2"), "r.json"),
      "INPUT_MALFORMED",
      "r.json",
      /version "2" is not supported/,
    );
    expectPyprovError(
      () => parsePipReport(report([], 1), "r.json"),
      "INPUT_MALFORMED",
      "r.json",
      /version 1 is not supported/,
    );
  });

  it("refuses broken items with the line they start on", () => {
    const twoItems = report([item(), item({}, { archive_info: { hash: "sha256=zz" } })]);
    expectPyprovError(
      () => parsePipReport(twoItems, "r.json"),
      "INPUT_MALFORMED",
      "r.json",
      /^line 2\d: archive_info.hash "sha256=zz" is not ALGORITHM=HEX/,
    );
    expectPyprovError(
      () =>
        parsePipReport(
          report([
            item({}, { archive_info: { hash: `sha256=${h("a")}`, hashes: { sha256: h("b") } } }),
          ]),
          "r.json",
        ),
      "INPUT_MALFORMED",
      "r.json",
      /disagree on sha256/,
    );
    expectPyprovError(
      () => parsePipReport(report([{ download_info: { url: WHEEL }, is_direct: false }]), "r.json"),
      "INPUT_MALFORMED",
      "r.json",
      /install\[0\]/,
    );
    expectPyprovError(
      () => parsePipReport(report([item({}, { archive_info: undefined })]), "r.json"),
      "INPUT_MALFORMED",
      "r.json",
      /neither archive_info, vcs_info nor dir_info/,
    );
    expectPyprovError(
      () => parsePipReport(Buffer.from("[]"), "r.json"),
      "INPUT_MALFORMED",
      "r.json",
      /JSON object/,
    );
  });

  it("finds the line of each top-level install item, ignoring look-alike keys", () => {
    const text = [
      "{",
      '  "note": "install [ not here",',
      '  "nested": {"install": [{"a": 1}]},',
      '  "install": [',
      '    {"x": "]"},',
      "",
      "    {",
      '      "y": [1, 2]',
      "    }",
      "  ]",
      "}",
    ].join("\n");
    expect(arrayItemLines(text, "install")).toStrictEqual([5, 7]);
    expect(arrayItemLines('{"install": []}', "install")).toStrictEqual([]);
  });
});
