import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';

/**
 * Subscriptions run by graphql-js's own two steps — `createSourceEventStream` once, then `execute`
 * per event with the event as root value — instead of yoga's executor, whose subscribe keeps an
 * execution context, a mapped iterator and a flattening iterator alive for each subscription.
 * An idle forced-logout subscriber is the most common object on a busy instance, and holds only
 * `EventResults` (and its source stream) here. Every envelop hook still runs around it: the checks
 * of onSubscribe before, error masking on every result after (per event too).
 *
 * A transport that asks for it (`wantsSourceStream`) gets the source stream itself, in a
 * `SourceEventStream` that is no async iterable: envelop then does not wrap it in its per-event
 * hook (a mapping iterator and an error iterator, some twenty closures per subscription, only to
 * mask errors), and the transport makes its own `EventResults`, which masks them.
 */
export function useLeanSubscriptions(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeLean as never);
    },
  };
}

const WANTS_SOURCE_STREAM = Symbol('wantsSourceStream');

/** Marks an operation's initial context: its transport takes `SourceEventStream`s. */
export function wantsSourceStream<T extends object>(initialContext: T): T {
  return Object.assign(initialContext, { [WANTS_SOURCE_STREAM]: true });
}

/** A subscription's source stream, before any event of it is executed. */
export class SourceEventStream {
  constructor(readonly events: AsyncIterator<unknown>) {}
}

async function subscribeLean(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult | SourceEventStream> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source; // the resolver refused: errors, masked by envelop
  const events = source[Symbol.asyncIterator]();
  if ((args.contextValue as Record<symbol, unknown> | undefined)?.[WANTS_SOURCE_STREAM]) return new SourceEventStream(events);
  // Over HTTP the stream is yoga's to send, as server-sent events (only SSE takes a stream).
  const { metrics } = args.contextValue as GraphQLContext;
  return new EventResults(events, args, { onResult: () => metrics.eventsDelivered({ transport: 'sse' }) });
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** The results of a subscription: each event of the source, executed against the operation. */
export class EventResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    /** The operation, without a root value (each event is the root value of its execution). */
    private readonly args: ExecutionArgs,
    private readonly options: {
      /** What an error becomes, in a result or thrown by the source (envelop masks those of the streams it wraps). */
      maskError?: (error: unknown) => unknown;
      /** Told of each result made. */
      onResult?: () => void;
    } = {},
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    let event: IteratorResult<unknown>;
    try {
      event = await this.source.next();
    } catch (error) {
      throw this.options.maskError ? this.options.maskError(error) : error;
    }
    if (event.done) return { done: true, value: undefined };
    // What graphql-js's own subscribe does per event (mapSourceToResponse).
    const result = await execute({ ...this.args, rootValue: event.value });
    const { maskError, onResult } = this.options;
    onResult?.();
    if (!maskError || !result.errors) return { done: false, value: result };
    return { done: false, value: { ...result, errors: result.errors.map((error) => maskError(error) as GraphQLError) } };
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
