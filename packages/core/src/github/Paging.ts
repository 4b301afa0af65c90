// Link-header paging: every page of a list as a Stream, following GitHub's rel="next" URL verbatim (never one of
// another host), and the collaborators list read to its end should GitHub page it.
import { Effect, Option, type Schema, Stream } from "effect"
import type { Collaborator } from "../domain/Space.ts"
import type { Conditional } from "./GitHubClient.ts"
import { GitHubError } from "./GitHubError.ts"
import { nextLink } from "./Link.ts"

import { pathOf } from "./Routes.ts"
import type { ExecutorRequest as TransportRequest, RequestExecutor } from "./RequestExecutor.ts"

/** A conditional answer with its Link header, for the lists that may have more pages. */
export type Paged<A> =
  | Exclude<Conditional<A>, { _tag: "Modified" }>
  | (Extract<Conditional<A>, { _tag: "Modified" }> & { readonly link?: string | undefined })

/** The request for the next page, if the Link header names one; GitHub's URL verbatim, never another host's. */
export const nextPage = (
  link: string | undefined,
  origin: string,
  path: string
): Effect.Effect<Option.Option<TransportRequest>, GitHubError> => {
  const next = nextLink(link)
  if (next === undefined) return Effect.succeed(Option.none())
  const url = new URL(next, origin)
  if (url.origin !== origin) {
    return Effect.fail(
      new GitHubError({
        reason: { _tag: "InvalidResponse", detail: `Link rel="next" points to another host: ${url.origin}` },
        method: "GET",
        path
      })
    )
  }
  return Effect.succeed(Option.some({ route: `GET ${url.toString()}` }))
}

/**
 * Every page from `start` on, each through the executor (gate, retries); `endpoint` names the list's route template
 * (a Link URL belongs to it). Emits what `items` takes from each decoded page and its raw body.
 */
export const pagesFrom = <P, B>(
  executor: RequestExecutor,
  origin: string,
  endpoint: string,
  start: TransportRequest,
  schema: Schema.Decoder<P>,
  items: (page: P, raw: unknown) => ReadonlyArray<B>
): Stream.Stream<B, GitHubError> =>
  Stream.paginate(start, (request) => {
    const path = pathOf(request.route, request.params)
    return executor
      .execute("read", request, endpoint)
      .pipe(
        Effect.flatMap((res) =>
          executor
            .decode(schema, res, "GET", path)
            .pipe(
              Effect.flatMap((page) =>
                nextPage(res.headers.link, origin, path).pipe(
                  Effect.map((next) => [items(page, res.data), next] as const)
                )
              )
            )
        )
      )
  })

type Collaborators = Extract<Paged<ReadonlyArray<Collaborator>>, { _tag: "Modified" }>

/** The raw collaborators of a page body (`{ collaborators: [...] }`, already decoded, so the shape holds). */
const rawCollaborators = (raw: unknown): ReadonlyArray<unknown> =>
  (raw as { collaborators?: ReadonlyArray<unknown> }).collaborators ?? []

/**
 * The collaborators list has no pagination in GitHub's description, but a list cut at a page would lose
 * collaborators silently: should GitHub send Link rel="next", the later pages are read and joined. The ETag is
 * then dropped, since it vouches for the first page only; the next export reads every page again.
 */
export const withLaterPages = <P extends { readonly collaborators: ReadonlyArray<Collaborator> }>(
  executor: RequestExecutor,
  origin: string,
  endpoint: string,
  first: Collaborators,
  next: TransportRequest,
  schema: Schema.Decoder<P>
): Effect.Effect<Conditional<ReadonlyArray<Collaborator>>, GitHubError> =>
  Stream.runCollect(
    pagesFrom(executor, origin, endpoint, next, schema, (page, raw) =>
      page.collaborators.map((c, i) => [c, rawCollaborators(raw)[i]] as const)
    )
  ).pipe(
    Effect.map((later) => ({
      _tag: "Modified" as const,
      value: [...first.value, ...later.map(([c]) => c)],
      raw: { ...(first.raw as object), collaborators: [...rawCollaborators(first.raw), ...later.map(([, r]) => r)] },
      etag: undefined
    }))
  )

/** A first collaborators page as it came, or joined with its later pages when its Link names a next one. */
export const allCollaborators = <P extends { readonly collaborators: ReadonlyArray<Collaborator> }>(
  executor: RequestExecutor,
  origin: string,
  endpoint: string,
  first: Paged<ReadonlyArray<Collaborator>>,
  path: string,
  schema: Schema.Decoder<P>
): Effect.Effect<Conditional<ReadonlyArray<Collaborator>>, GitHubError> =>
  first._tag === "NotModified" || first.link === undefined
    ? Effect.succeed(first)
    : nextPage(first.link, origin, path).pipe(
        Effect.flatMap((next) =>
          Option.isNone(next)
            ? Effect.succeed(first)
            : withLaterPages(executor, origin, endpoint, first, next.value, schema)
        )
      )
