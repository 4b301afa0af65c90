// How a thrown value reads in one of our sentences: a file-system error as plain words ("no such file or
// directory"), never a bare errno code or Node's "ENOENT: ..., open '/path'" (the sentence already names the path).
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EEXIST: "already exists",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
  EIO: "input/output error",
  EBUSY: "the resource is busy",
  EXDEV: "cannot link across file systems",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host name not found",
  ETIMEDOUT: "timed out"
}

/** The words for an errno code, or undefined for a code this table does not know. */
export const errnoWords = (code: string | undefined): string | undefined =>
  code === undefined ? undefined : ERRNO_WORDS[code]

/** One phrase for any thrown value: errno words when it has a known code, else its message. */
export const errorText = (e: unknown): string => {
  const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined
  const words = typeof code === "string" ? errnoWords(code) : undefined
  if (words !== undefined) return words
  if (e instanceof Error) return e.message
  return String(e)
}
