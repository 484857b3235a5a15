import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPylockFile, parsePylock } from "../../src/inputs/pylock.js";
import type { TargetSpec } from "../../src/inputs/types.js";
import { expectPyprovError, FIXTURES, h, oversizedText, withTempFiles } from "./helpers.js";

const FILES = "https://files.pythonhosted.org/packages";
const HEX = "c".repeat(64);
const parse = (text: string) => parsePylock(text, "pylock.toml");
const lock = (body: string) => `lock-version = "1.0"\ncreated-by = "test"\n\n${body}`;
const wheel = (name: string, extra = "") =>
  `{ url = "https://example.com/${name}", hashes = { sha256 = "${HEX}" }${extra} }`;

describe("pylock.toml as uv exports it", () => {
  const file = join(FIXTURES, "pylock", "pylock.toml");
  const result = loadPylockFile(file);
  const at = (line: number) => ({ file, line });

  it("reads the header", () => {
    expect([result.lockVersion, result.createdBy, result.warnings]).toStrictEqual([
      "1.0",
      "uv",
      [],
    ]);
  });

  it("reads index packages with their files, identities and markers", () => {
    const attrs: TargetSpec = {
      name: "attrs",
      version: "25.1.0",
      files: [
        {
          filename: "attrs-25.1.0.tar.gz",
          url: `${FILES}/49/7c/fdf464bcc51d23881d110abd74b512a42b3d5d376a55a831b44c603ae17f/attrs-25.1.0.tar.gz`,
          sha256: h("attrs-25.1.0.tar.gz"),
          size: 810562,
          uploadTime: "2025-01-25T11:30:12.000Z",
        },
        {
          filename: "attrs-25.1.0-py3-none-any.whl",
          url: `${FILES}/fc/30/d4986a882011f9df997a55e6becd864812ccfcd821d64aac8570ee39f719/attrs-25.1.0-py3-none-any.whl`,
          sha256: h("attrs-25.1.0-py3-none-any.whl"),
          size: 63152,
          uploadTime: "2025-01-25T11:30:10.164+00:00",
        },
      ],
      hashes: [h("attrs-25.1.0.tar.gz"), h("attrs-25.1.0-py3-none-any.whl")],
      pinned: true,
      source: at(7),
      index: "https://pypi.org/simple",
      expectedIdentities: [
        {
          kind: "GitHub",
          environment: "release-pypi",
          repository: "python-attrs/attrs",
          workflow: "pypi-package.yml",
        },
      ],
    };
    const exceptiongroup: TargetSpec = {
      name: "exceptiongroup",
      version: "1.2.2",
      files: [
        {
          filename: "exceptiongroup-1.2.2.tar.gz",
          url: `${FILES}/09/35/2495c4ac46b980e4ca1f6ad6db102322ef3ad2410b79fdde159a4b0f3b92/exceptiongroup-1.2.2.tar.gz`,
          sha256: h("exceptiongroup-1.2.2.tar.gz"),
          size: 28883,
          uploadTime: "2024-07-12T22:26:00.000Z",
        },
        {
          filename: "exceptiongroup-1.2.2-py3-none-any.whl",
          url: `${FILES}/02/cc/b7e31358aac6ed1ef2bb790a9746ac2c69bcb3c8588b41616914eb2de2ab/exceptiongroup-1.2.2-py3-none-any.whl`,
          sha256: h("exceptiongroup-1.2.2-py3-none-any.whl"),
          size: 16453,
          uploadTime: "2024-07-12T22:25:58.000Z",
        },
      ],
      hashes: [h("exceptiongroup-1.2.2.tar.gz"), h("exceptiongroup-1.2.2-py3-none-any.whl")],
      pinned: true,
      source: at(22),
      markers: "python_full_version < '3.11'",
      index: "https://pypi.org/simple",
    };
    expect(result.targets.slice(0, 2)).toStrictEqual([attrs, exceptiongroup]);
  });

  it("derives file names from URLs, percent-decoded", () => {
    const markupsafe = result.targets[2];
    expect(markupsafe?.source).toStrictEqual(at(32));
    expect(markupsafe?.files.map((f) => [f.filename, f.sha256, f.size])).toStrictEqual([
      [
        "MarkupSafe-3.0.2-cp312-cp312-macosx_11_0_arm64.whl",
        h("MarkupSafe-3.0.2-cp312-cp312-macosx_11_0_arm64.whl"),
        12024,
      ],
      [
        "MarkupSafe-3.0.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        h("MarkupSafe-3.0.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        23947,
      ],
      [
        "MarkupSafe-3.0.2+local-cp312-cp312-win_amd64.whl",
        h("MarkupSafe-3.0.2+local-cp312-cp312-win_amd64.whl"),
        15506,
      ],
    ]);
    expect(markupsafe?.files[2]?.uploadTime).toBeUndefined();
  });

  it("reports directory, vcs and archive packages as non-index sources", () => {
    expect(result.targets.slice(3)).toStrictEqual([
      {
        name: "myapp",
        files: [],
        hashes: [],
        pinned: false,
        source: at(42),
        url: ".",
        nonIndex: { kind: "editable", path: "." },
      },
      {
        name: "sampleproject",
        files: [],
        hashes: [],
        pinned: false,
        source: at(46),
        url: "https://github.com/pypa/sampleproject.git",
        nonIndex: {
          kind: "vcs",
          url: "https://github.com/pypa/sampleproject.git",
          commit: "621e4974ca25ce531773def586ba3ed8e736b3fc",
        },
      },
      {
        name: "vendored",
        files: [],
        hashes: [h("vendored-0.3.tar.gz")],
        pinned: false,
        source: at(50),
        url: "vendor/vendored-0.3.tar.gz",
        nonIndex: { kind: "archive", path: "vendor/vendored-0.3.tar.gz" },
      },
    ]);
  });
});

describe("pylock.toml as pip lock writes it (sub-tables)", () => {
  const file = join(FIXTURES, "pylock", "pylock.pip.toml");
  const result = loadPylockFile(file);

  it("reads packages, wheels and identities from [[packages.*]] tables", () => {
    expect(result.createdBy).toBe("pip");
    expect(
      result.targets.map((t) => [t.name, t.version, t.source.line, t.pinned, t.expectedIdentities]),
    ).toStrictEqual([
      ["certifi", "2025.1.31", 4, true, undefined],
      [
        "idna",
        "3.10",
        15,
        true,
        [{ kind: "GitHub", repository: "kjd/idna", workflow: "deploy.yml" }],
      ],
      ["requests", "2.32.3", 31, true, undefined],
    ]);
    expect(result.targets[1]?.files).toStrictEqual([
      {
        filename: "idna-3.10-py3-none-any.whl",
        url: `${FILES}/76/c6/c88e154df9c4e1a2a66ccf0005a88dfb2650c1dffb6f5ce603dfbd452ce3/idna-3.10-py3-none-any.whl`,
        sha256: h("idna-3.10-py3-none-any.whl"),
      },
    ]);
  });
});

describe("lock-version", () => {
  it("warns on an unknown minor version", () => {
    const result = parse(lock("packages = []\n").replace('"1.0"', '"1.3"'));
    expect([result.lockVersion, result.warnings]).toStrictEqual([
      "1.3",
      ["lock-version 1.3 is newer than 1.0; reading it as 1.0"],
    ]);
  });

  it("rejects another major version, a malformed one and a missing one", () => {
    const cases: [string, RegExp][] = [
      [lock("").replace('"1.0"', '"2.0"'), /^unsupported lock-version "2.0": only 1.x/],
      [lock("").replace('"1.0"', '"1"'), /^invalid lock-version "1"$/],
      ['created-by = "x"\npackages = []\n', /^lock-version: at lock-version: /],
      [lock("").replace('"1.0"', "1.0"), /^lock-version: at lock-version: /],
    ];
    for (const [text, message] of cases) {
      expectPyprovError(() => parse(text), "INPUT_MALFORMED", "pylock.toml", message);
    }
  });
});

describe("package errors name the package and its line", () => {
  const cases: [string, string, RegExp][] = [
    [
      "missing sha256",
      `[[packages]]\nname = "six"\nversion = "1.16.0"\nwheels = [{ url = "https://example.com/six-1.16.0-py2.py3-none-any.whl", hashes = { sha512 = "${"d".repeat(128)}" } }]\n`,
      /^line 4: package "six": wheels\[0\] has no sha256 hash$/,
    ],
    [
      "bad sha256",
      `[[packages]]\nname = "six"\nsdist = { url = "https://example.com/six-1.16.0.tar.gz", hashes = { sha256 = "xyz" } }\n`,
      /^line 4: package "six": sdist sha256 is not 64 hex digits$/,
    ],
    [
      "no hashes",
      `[[packages]]\nname = "six"\nsdist = { url = "https://example.com/six.tar.gz", hashes = {} }\n`,
      /^line 4: package "six": at sdist.hashes: at least one hash is required$/,
    ],
    [
      "no url or path",
      `[[packages]]\nname = "six"\nwheels = [{ name = "six-1.16.0-py2.py3-none-any.whl", hashes = { sha256 = "${HEX}" } }]\n`,
      /^line 4: package "six": at wheels\[0\]: url or path is required$/,
    ],
    [
      "no file name",
      `[[packages]]\nname = "six"\nwheels = [{ url = "https://example.com/", hashes = { sha256 = "${HEX}" } }]\n`,
      /^line 4: package "six": wheels\[0\] has no name and none can be taken from its url or path$/,
    ],
    [
      "no source",
      `[[packages]]\nname = "six"\nversion = "1.16.0"\n`,
      /^line 4: package "six": no source \(sdist, wheels, vcs, directory or archive\)$/,
    ],
    [
      "conflicting sources",
      `[[packages]]\nname = "six"\ndirectory = { path = "." }\nwheels = [${wheel("six-1.0-py3-none-any.whl")}]\n`,
      /^line 4: package "six": directory and sdist\/wheels exclude each other$/,
    ],
    [
      "empty wheels",
      `[[packages]]\nname = "six"\nwheels = []\n`,
      /^line 4: package "six": wheels is empty and there is no sdist$/,
    ],
    [
      "bad name",
      `[[packages]]\nname = "six!"\nwheels = [${wheel("six-1.0-py3-none-any.whl")}]\n`,
      /^line 4: package "six!": at name: not a valid project name$/,
    ],
    [
      "bad identity",
      `[[packages]]\nname = "six"\nwheels = [${wheel("six-1.0-py3-none-any.whl")}]\n[[packages.attestation-identities]]\nrepository = "x/y"\n`,
      /^line 4: package "six": at attestation-identities\[0\].kind: /,
    ],
    [
      "identity repository of another platform",
      `[[packages]]\nname = "six"\nwheels = [${wheel("six-1.0-py3-none-any.whl")}]\n[[packages.attestation-identities]]\nkind = "GitHub"\nrepository = "gitlab:x/y"\nworkflow = "release.yml"\n`,
      /^line 4: package "six": attestation-identities\[0\]: repository "gitlab:x\/y" names a GitLab project, not a GitHub repository$/,
    ],
    [
      "identity repository on another host",
      `[[packages]]\nname = "six"\nwheels = [${wheel("six-1.0-py3-none-any.whl")}]\n[[packages.attestation-identities]]\nkind = "GitLab"\nrepository = "https://gitea.com/x/y"\nworkflow_filepath = ".gitlab-ci.yml"\n`,
      /^line 4: package "six": attestation-identities\[0\]: repository "https:\/\/gitea.com\/x\/y" is not a GitLab project$/,
    ],
    [
      "malformed identity repository",
      `[[packages]]\nname = "six"\nwheels = [${wheel("six-1.0-py3-none-any.whl")}]\n[[packages.attestation-identities]]\nkind = "GitHub"\nrepository = "x/y/z"\nworkflow = "release.yml"\n`,
      /^line 4: package "six": attestation-identities\[0\]: repository "x\/y\/z": a GitHub repository is OWNER\/NAME$/,
    ],
    [
      "bad marker",
      `[[packages]]\nname = "six"\nmarker = "python_version <"\nwheels = [${wheel("six-1.0-py3-none-any.whl")}]\n`,
      /^line 4: package "six": invalid marker: expected a variable or string, got end of marker$/,
    ],
    [
      "bad size",
      `[[packages]]\nname = "six"\nwheels = [${wheel("six-1.0-py3-none-any.whl", ", size = -1")}]\n`,
      /^line 4: package "six": at wheels\[0\].size: /,
    ],
    ["not a table", `packages = ["six"]\n`, /^line 1: packages\[0\]: at \(top level\): /],
  ];
  for (const [what, body, message] of cases) {
    it(what, () => {
      expectPyprovError(() => parse(lock(body)), "INPUT_MALFORMED", "pylock.toml", message);
    });
  }
});

describe("other shapes", () => {
  it("takes the file name from url, else from path (either separator), and keeps both", () => {
    const [target] = parse(
      lock(
        `[[packages]]\nname = "six"\nversion = "1.16.0"\nwheels = [{ path = "wheels/six-1.16.0-py2.py3-none-any.whl", url = "https://example.com/dl?id=1", hashes = { sha256 = "${HEX.toUpperCase()}" } }, { path = "..\\\\vendor\\\\six-1.16.0.tar.gz", hashes = { sha256 = "${HEX}" } }]\n`,
      ),
    ).targets;
    expect(target?.files).toStrictEqual([
      {
        filename: "dl",
        url: "https://example.com/dl?id=1",
        path: "wheels/six-1.16.0-py2.py3-none-any.whl",
        sha256: HEX,
      },
      { filename: "six-1.16.0.tar.gz", path: "..\\vendor\\six-1.16.0.tar.gz", sha256: HEX },
    ]);
    expect(target?.hashes).toStrictEqual([HEX]);
  });

  it("does not pin an index package without a version", () => {
    const [target] = parse(
      lock(`[[packages]]\nname = "six"\nwheels = [${wheel("six.whl")}]\n`),
    ).targets;
    expect([target?.version, target?.pinned]).toStrictEqual([undefined, false]);
  });

  it("falls back to line 1 for packages written as an inline array", () => {
    const result = parse(lock(`packages = [{ name = "six", wheels = [${wheel("six.whl")}] }]\n`));
    expect(result.targets.map((t) => t.source.line)).toStrictEqual([1]);
  });

  it("keeps an identity's repository as the bare path of the platform its kind names", () => {
    const identities = (repository: string, kind = "GitHub") =>
      parse(
        lock(
          `[[packages]]\nname = "six"\nwheels = [${wheel("six.whl")}]\n[[packages.attestation-identities]]\nkind = "${kind}"\nrepository = "${repository}"\n`,
        ),
      ).targets[0]?.expectedIdentities;
    for (const repository of ["acme/pkg", "github:acme/pkg", "https://github.com/acme/pkg"]) {
      expect(identities(repository), repository).toStrictEqual([
        { kind: "GitHub", repository: "acme/pkg" },
      ]);
    }
    expect(identities("https://gitlab.com/acme/tools/pkg", "GitLab")).toStrictEqual([
      { kind: "GitLab", repository: "acme/tools/pkg" },
    ]);
  });

  it("accepts an empty lock and keeps created-by optional", () => {
    expect(parse('lock-version = "1.0"\npackages = []\n')).toStrictEqual({
      targets: [],
      lockVersion: "1.0",
      warnings: [],
    });
  });
});

describe("TOML and size errors", () => {
  it("reports a TOML syntax error with its line", () => {
    expectPyprovError(
      () => parse(lock('[[packages]]\nname = "six"\nversion = 1.0.0\n')),
      "INPUT_MALFORMED",
      "pylock.toml",
      /^line 6: invalid TOML: /,
    );
  });

  it("refuses text and files over 10 MiB", () => {
    expectPyprovError(() => parse(oversizedText()), "INPUT_TOO_LARGE", "pylock.toml");
    withTempFiles({ "pylock.toml": 10 * 1024 * 1024 + 1 }, (dir) => {
      const path = join(dir, "pylock.toml");
      expectPyprovError(
        () => loadPylockFile(path),
        "INPUT_TOO_LARGE",
        path,
        /larger than the limit/,
      );
    });
  });
});
