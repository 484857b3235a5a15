import { describe, expect, it } from "vitest";
import { BYPASS_VARIABLES, childEnv, INDEX_VARIABLES } from "../../src/run/env.js";

const URL = "http://127.0.0.1:40000/simple/";

describe("the command's environment", () => {
  it("points pip and uv at the proxy and removes every other source of files", () => {
    const parent = {
      PATH: "/usr/bin",
      HOME: "/home/u",
      PIP_INDEX_URL: "https://mirror.example/simple",
      UV_INDEX_URL: "https://mirror.example/simple",
      PIP_EXTRA_INDEX_URL: "https://extra.example/simple",
      UV_EXTRA_INDEX_URL: "https://extra.example/simple",
      UV_INDEX: "private=https://private.example/simple",
      PIP_FIND_LINKS: "/opt/wheels",
      UV_FIND_LINKS: "/opt/wheels",
      PIP_NO_INDEX: "",
      PIP_NO_CACHE_DIR: "1",
      UNDEFINED: undefined,
    };
    const { env, unset, replaced } = childEnv(parent, URL);
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/u",
      PIP_NO_CACHE_DIR: "1",
      PIP_INDEX_URL: URL,
      UV_DEFAULT_INDEX: URL,
      UV_INDEX_URL: URL,
    });
    // Set to the empty string still counts: pip reads PIP_NO_INDEX= as a value.
    expect(unset).toEqual([
      "PIP_EXTRA_INDEX_URL",
      "UV_EXTRA_INDEX_URL",
      "UV_INDEX",
      "PIP_FIND_LINKS",
      "UV_FIND_LINKS",
      "PIP_NO_INDEX",
    ]);
    expect(replaced).toEqual(["PIP_INDEX_URL", "UV_INDEX_URL"]);
    // The parent is left alone.
    expect(parent.PIP_EXTRA_INDEX_URL).toBe("https://extra.example/simple");
  });

  it("with nothing to remove, says so by an empty list", () => {
    const { env, unset, replaced } = childEnv({ PATH: "/bin" }, URL);
    expect(unset).toEqual([]);
    expect(replaced).toEqual([]);
    expect(Object.keys(env).sort()).toEqual(["PATH", ...INDEX_VARIABLES].sort());
  });

  it("lists the variables the brief names", () => {
    expect([...INDEX_VARIABLES]).toEqual(["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"]);
    for (const v of [
      "PIP_EXTRA_INDEX_URL",
      "UV_EXTRA_INDEX_URL",
      "UV_INDEX",
      "PIP_FIND_LINKS",
      "PIP_NO_INDEX",
    ]) {
      expect(BYPASS_VARIABLES).toContain(v);
    }
  });
});
