// The project's version, as --version prints it, user agents carry it and every archive's manifest records it.
import { TOOL_VERSION } from "@spaces-vault/core/version"

export const VERSION: string = TOOL_VERSION
