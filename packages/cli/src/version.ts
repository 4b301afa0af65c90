// The tool's version, as written into archives and printed by --version.
import pkg from "../package.json" with { type: "json" }

export const VERSION: string = pkg.version
