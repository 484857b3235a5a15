// Entry point bundled into dist/cli.js.
import { run } from "./main.js";

await run();
