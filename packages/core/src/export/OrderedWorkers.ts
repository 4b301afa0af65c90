// Runs work over a stream's elements on a fixed set of long-lived workers and delivers the results one at a time,
// in the stream's order.
//
// Why not `Stream.mapEffect({ concurrency })`: its ordered mode admits a new element only once the oldest one has
// been delivered (it forks a fiber per element and queues them in order), so a single slow answer held the other
// workers back. Here a worker that finishes takes the next element at once, and may run up to `window` elements
// ahead of the oldest undelivered one (docs/performance.md).
import { Cause, Effect, Latch, Queue, Semaphore, Stream } from "effect"

export interface OrderedWorkersOptions<A, B, E2, R2, E3, R3> {
  /** Workers: elements worked on at once. */
  readonly concurrency: number
  /**
   * How far the newest element taken may be ahead of the oldest undelivered one. Bounds the results held in
   * memory while a slow element (a retry, say) holds up delivery.
   */
  readonly window: number
  /** Elements read ahead of the workers. */
  readonly readAhead: number
  readonly work: (a: A) => Effect.Effect<B, E2, R2>
  /** Called once per result, in the source's order, one call at a time. */
  readonly deliver: (b: B) => Effect.Effect<void, E3, R3>
}

export const forEachOrdered = <A, E, R, B, E2, R2, E3, R3>(
  source: Stream.Stream<A, E, R>,
  options: OrderedWorkersOptions<A, B, E2, R2, E3, R3>
): Effect.Effect<void, E | E2 | E3, R | R2 | R3> =>
  Effect.scoped(
    Effect.gen(function* () {
      const queue = yield* Stream.toQueue(source, { capacity: options.readAhead })
      const results = new Map<number, B>()
      let taken = 0 // index of the next element to take
      let next = 0 // index of the next result to deliver (all before it are delivered)
      let finished = false // every element taken and worked on
      const ready = yield* Latch.make(false) // a result may be deliverable, or the work is finished
      // A place in the window per element between taken and delivered; a delivery frees one and wakes one worker.
      const room = yield* Semaphore.make(Math.max(1, options.window))

      const worker = Effect.gen(function* () {
        while (true) {
          yield* room.take(1)
          const element = yield* Queue.take(queue).pipe(
            Effect.map((a) => ({ a })),
            Effect.catchIf(Cause.isDone, () => Effect.succeed(undefined))
          )
          // The source is done: give the place back, or workers still waiting for one (window < concurrency) never wake.
          if (element === undefined) return yield* room.release(1)
          const index = taken++
          results.set(index, yield* options.work(element.a))
          if (index === next) ready.openUnsafe()
        }
      })

      const deliverer = Effect.gen(function* () {
        while (true) {
          if (results.has(next)) {
            yield* options.deliver(results.get(next)!)
            results.delete(next)
            next++
            yield* room.release(1)
          } else if (finished) {
            return
          } else {
            ready.closeUnsafe()
            yield* ready.await
          }
        }
      })

      const workers = Effect.all(
        Array.from({ length: Math.max(1, options.concurrency) }, () => worker),
        {
          concurrency: "unbounded",
          discard: true
        }
      ).pipe(
        Effect.andThen(
          Effect.sync(() => {
            finished = true
            ready.openUnsafe()
          })
        )
      )
      // Any failure (a worker's, the source's through `take`, or a delivery's) interrupts the rest.
      yield* Effect.all([workers, deliverer], { concurrency: "unbounded", discard: true })
    })
  )
