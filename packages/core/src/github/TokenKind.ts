// What kind of token the client holds, read from its prefix: GitHub documents which kinds each endpoint accepts.

/** Classic PATs (ghp_), OAuth (gho_), fine-grained PATs (github_pat_), App tokens (ghu_/ghs_). */
export type TokenKind = "classic" | "oauth" | "fine-grained" | "app-user" | "app-installation" | "unknown"

export const tokenKindOf = (token: string): TokenKind =>
  token.startsWith("github_pat_")
    ? "fine-grained"
    : token.startsWith("ghp_")
      ? "classic"
      : token.startsWith("gho_")
        ? "oauth"
        : token.startsWith("ghu_")
          ? "app-user"
          : token.startsWith("ghs_")
            ? "app-installation"
            : "unknown"
