import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Subscriptions run by graphql-js's own two steps — `createSourceEventStream` once, then `execute`
 * per event with the event as root value — instead of yoga's executor, whose subscribe keeps an
 * execution context, a mapped iterator and a flattening iterator alive for each subscription.
 * An idle forced-logout subscriber is the most common object on a busy instance, and holds only
 * `EventResults` (and its source stream) here. Every envelop hook still runs around it: the checks
 * of onSubscribe before, error masking on every result after (per event too).
 */
export function useLeanSubscriptions(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeLean as never);
    },
  };
}

async function subscribeLean(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source; // the resolver refused: errors, masked by envelop
  return new EventResults(source[Symbol.asyncIterator](), args);
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** The results of a subscription: each event of the source, executed against the operation. */
class EventResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const event = await this.source.next();
    if (event.done) return { done: true, value: undefined };
    // What graphql-js's own subscribe does per event (mapSourceToResponse).
    return { done: false, value: await execute({ ...this.args, rootValue: event.value }) };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}
