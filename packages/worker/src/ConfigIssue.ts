// A schema decoding issue of the worker's config file, in plain words naming the field:
// "outputdir: unknown key (did you mean outputDir?)", "concurrency: expected a value between 1 and 100, got 500".
import { SchemaAST, SchemaIssue } from "effect"

type Path = ReadonlyArray<PropertyKey>

const fieldOf = (path: Path): string =>
  path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("") || "the file"

/** ", got 500" when the parser reported the value (decode with reportInput), else nothing. */
const got = (i: SchemaIssue.Issue): string => (SchemaIssue.hasInput(i) ? `, got ${describeValue(i.input)}` : "")

const describeValue = (u: unknown): string => {
  if (u === null) return "null"
  if (Array.isArray(u)) return "a list"
  if (typeof u === "object") return "a mapping"
  if (typeof u === "string") return JSON.stringify(u.length > 40 ? `${u.slice(0, 40)}…` : u)
  return String(u)
}

const expectedOf = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "String":
      return "a string"
    case "Number":
      return "a number"
    case "Boolean":
      return "true or false"
    case "Arrays":
      return "a list"
    case "Objects":
      return "a mapping (key: value)"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union":
      return ast.types.map(expectedOf).join(" or ")
    default:
      return "something else"
  }
}

/** Edit distance, for "did you mean": small keys, so the quadratic table is nothing. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution))
    }
    previous = row
  }
  return previous[b.length] ?? 0
}

/** The known key a mistyped one most likely meant: same letters in another case, or at most two edits away. */
export const closestKey = (key: string, known: ReadonlyArray<string>): string | undefined => {
  const same = known.find((k) => k.toLowerCase() === key.toLowerCase())
  if (same !== undefined) return same
  const scored = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).filter((s) => s.d <= 2)
  return scored.sort((a, b) => a.d - b.d)[0]?.k
}

const knownKeys = (ast: SchemaAST.AST | undefined): ReadonlyArray<string> =>
  ast !== undefined && SchemaAST.isObjects(ast) ? ast.propertySignatures.map((p) => String(p.name)) : []

/** Every problem of an issue tree, one phrase each, in the order the file has them. */
export const configProblems = (issue: SchemaIssue.Issue): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (i: SchemaIssue.Issue, path: Path, parent: SchemaAST.AST | undefined): void => {
    switch (i._tag) {
      case "Pointer":
        walk(i.issue, [...path, ...i.path], parent)
        return
      case "Composite":
        for (const sub of i.issues) walk(sub, path, i.ast)
        return
      case "AnyOf":
        if (i.issues.length > 0) for (const sub of i.issues) walk(sub, path, i.ast)
        else out.push(`${fieldOf(path)}: expected ${expectedOf(i.ast)}${got(i)}`)
        return
      case "Encoding":
        walk(i.issue, path, i.ast)
        return
      case "Filter": {
        const expected = i.filter.annotations?.expected
        out.push(`${fieldOf(path)}: expected ${expected ?? "a valid value"}${got(i)}`)
        return
      }
      case "UnexpectedKey": {
        const key = String(path[path.length - 1])
        const meant = closestKey(key, knownKeys(parent))
        out.push(`${fieldOf(path)}: unknown key${meant !== undefined ? ` (did you mean ${meant}?)` : ""}`)
        return
      }
      case "MissingKey":
        out.push(`${fieldOf(path)}: missing (required)`)
        return
      case "InvalidType":
        out.push(`${fieldOf(path)}: expected ${expectedOf(i.ast)}${got(i)}`)
        return
      default:
        out.push(`${fieldOf(path)}: ${i.toString().split("\n")[0]}`)
    }
  }
  walk(issue, [], undefined)
  return out
}
