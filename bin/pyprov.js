#!/usr/bin/env node
// pyprov command-line entry. Node's compile cache makes repeated start-up
// cheaper; the CLI itself is one bundled file (dist/cli.js, built by `npm run build`).
import module from "node:module";

try {
  module.enableCompileCache?.();
} catch {
  // The cache is an optimisation only.
}
await import("../dist/cli.js");
