/** The proxy's defaults, in a module light enough for the CLI's option definitions. */
export const DEFAULT_UPSTREAM = "https://pypi.org/simple/";
export const DEFAULT_PORT = 8750;
export const DEFAULT_GRACE_MS = 10_000;
/** Where PyPI's pages point for files. */
export const DEFAULT_FILES_HOST = "files.pythonhosted.org";
