import { getOperationAST, type DocumentNode, type GraphQLError } from 'graphql';
import { makeServer, type Context, type SubscribePayload } from 'graphql-ws';
import { createGraphQLError, type YogaServerInstance } from 'graphql-yoga';
import { createServices, type AppDeps, type Services } from '../services.js';
import { authenticate, endedSessionFor } from '../auth/authenticate.js';
import type { Caller } from '../auth/caller.js';
import type { GraphQLContext } from '../graphql/context.js';
import { DomainError } from '../errors.js';
import type { TesseraMetrics } from './metrics.js';
import type { SessionWatchers } from '../session/session-watchers.js';
import { onWatch } from '../session/session-watch.js';
import { EventResults, SourceEventStream, wantsSourceStream } from '../graphql/event-streams.js';
import { CLOSE_SESSION_ENDED, CLOSE_TOO_MANY_CONNECTIONS, CLOSE_TRY_AGAIN_LATER, type Connection, type Transport } from './ws-connection.js';
import { ENDED_SESSION_CLOSE_GUARD_MS, SocketLifetimes } from './ws-session-lifetime.js';
import { SocketCaps } from './ws-socket-caps.js';
import type { Logger } from '../logger.js';
import { logSocketOperation, socketCallerFacts } from './request-log.js';

export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** How long a socket may take to send connection_init (then 4408). */
const CONNECTION_INIT_WAIT_MS = 3_000;

type AnyYoga = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;
type EnvelopedOperations = Pick<ReturnType<AnyYoga['getEnveloped']>, 'execute' | 'subscribe'>;
type OperationContext = Context<Record<string, unknown>, Connection>;

export interface GraphqlWsOptions {
  yoga: AnyYoga;
  deps: AppDeps;
  watchers: SessionWatchers;
  metrics: TesseraMetrics;
  /** Masks (and logs) what an operation's failure becomes, as yoga's masked errors do. */
  maskError: (error: unknown) => unknown;
  logger: Logger;
}

/** What the handlers of every connection share: one per server. */
interface Wiring {
  yoga: AnyYoga;
  deps: AppDeps;
  transport: Transport;
  lifetimes: SocketLifetimes;
  caps: SocketCaps;
  /** Debug on: each operation's line (request-log.ts). Null when off, so nothing of it is built. */
  debug: Logger | null;
}

/** When each prepared operation started, for its debug line; only filled when debug is on. */
const operationStarts = new WeakMap<object, { started: number; operation: string | null }>();

/** A refused document may not parse (or may be too big to parse again): its name is read off its start. */
const LEADING_NAME = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

function operationName(document: DocumentNode | undefined, payload: SubscribePayload): string | null {
  if (!document) return payload.operationName ?? LEADING_NAME.exec(payload.query)?.[1] ?? null;
  return getOperationAST(document, payload.operationName ?? undefined)?.name?.value ?? null;
}

function firstCode(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string | undefined {
  const code = errors?.[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * graphql-ws's protocol over our transport (see websocket.ts), wired through yoga's envelop so
 * WebSocket operations share the schema, plugins, context and limits of HTTP ones: the credential
 * is checked at connection_init, each operation is prepared like an HTTP one, and a subscription's
 * events execute with a context of their own (EventContext).
 */
export function createGraphqlWs(opts: GraphqlWsOptions & { transport: Transport }) {
  const { yoga, deps, watchers, metrics, transport, maskError, logger } = opts;
  const debug = logger.enabled('debug') ? logger : null;
  const wiring: Wiring = {
    debug,
    yoga,
    deps,
    transport,
    lifetimes: new SocketLifetimes(watchers, transport, deps.clock),
    caps: new SocketCaps({ perSession: deps.config.wsMaxConnectionsPerSession, perUser: deps.config.wsMaxConnectionsPerUser }),
  };
  return makeServer<Record<string, unknown>, Connection>({
    connectionInitWaitTimeout: CONNECTION_INIT_WAIT_MS,
    onConnect: (ctx) => acceptConnection(wiring, ctx),
    onSubscribe: (ctx, id, payload) => prepareOperation(wiring, ctx, id, payload),
    onOperation: debug
      ? (ctx, _id, _payload, args, result) => {
          const start = operationStarts.get(args);
          if (!start) return;
          const stream = typeof result === 'object' && result !== null && Symbol.asyncIterator in result;
          const errors = stream ? undefined : (result as { errors?: readonly GraphQLError[] }).errors;
          const outcome = stream ? 'subscribed' : errors?.length ? 'refused' : 'answered';
          logSocketOperation(debug, { ...start, caller: ctx.extra.callerFacts, outcome, code: firstCode(errors) });
        }
      : undefined,
    onNext: () => {
      metrics.eventsDelivered({ transport: 'websocket' });
    },
    onComplete: (ctx, id) => {
      if (ctx.extra.ops.delete(id)) wiring.lifetimes.closeIfDone(ctx.extra);
    },
    onClose: (ctx) => {
      ctx.extra.stopWatching?.();
      wiring.caps.release(ctx.extra);
    },
    execute: (args) => (args.rootValue as EnvelopedOperations).execute(args) as never,
    subscribe: async (args) => {
      const stream = await (args.rootValue as EnvelopedOperations).subscribe(args);
      if (!(stream instanceof SourceEventStream)) return stream as never; // refused: masked errors
      // graphql-ws holds `args` for as long as the subscription runs; so do its events.
      args.contextValue = new EventContext(args.contextValue as GraphQLContext, deps);
      args.rootValue = undefined;
      return new EventResults(stream.events, args, { maskError });
    },
  });
}

/**
 * connection_init: a socket without valid credentials is closed with 4403 before it can subscribe;
 * one over its session's or user's cap of sockets with 4429.
 */
async function acceptConnection(wiring: Wiring, ctx: OperationContext): Promise<boolean> {
  const { deps, transport, lifetimes, caps } = wiring;
  const connection = ctx.extra;
  const authorization = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : null;
  if (!authorization) return false;
  let caller: Caller;
  const services = createServices(deps);
  try {
    caller = await authenticate(authorization, connection.ip, services);
  } catch (error) {
    // A refused credential is 4403; anything else (the database down) is our fault, and the
    // client should retry: close with 1013 "try again later", not "forbidden".
    if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') return acceptEndedSession(wiring, connection, authorization, services);
    transport.close(connection, CLOSE_TRY_AGAIN_LATER, 'Service unavailable, try again later');
    return false;
  }
  if (caller.kind === 'anonymous') return false;
  if (wiring.debug) connection.callerFacts = socketCallerFacts(caller);
  // A socket that closed (or was told to) while its credential was checked has had its onClose:
  // counting or watching it now would never be undone.
  if (connection.socket.readyState !== connection.socket.OPEN || connection.closing) return false;
  if (caller.kind === 'admin') connection.stopWatching = lifetimes.watchAdminKey(connection, caller.keyId);
  if (caller.kind === 'user') {
    const admitted = caps.admit(connection, caller.userId, caller.sessionId);
    if (admitted !== 'ok') {
      transport.close(connection, CLOSE_TOO_MANY_CONNECTIONS, `Too many connections for this ${admitted}`);
      return false;
    }
    if (caller.sessionId) {
      connection.ownSessionId = caller.sessionId;
      connection.stopWatching = lifetimes.watchOwnSession(connection, caller.sessionId);
    } else if (typeof caller.claims.exp === 'number') {
      connection.stopWatching = lifetimes.closeAtExpiry(connection, caller.claims.exp * 1000);
    }
  }
  return true;
}

/**
 * A token of a session that has ended opens a socket only to learn that it ended: its own
 * `sessionTerminated` delivers the stored event at once, and the socket then closes with 4403
 * (ws-session-lifetime.ts); any other operation is refused and closes it. A socket that asks for
 * nothing is closed after the guard time.
 */
async function acceptEndedSession({ transport }: Wiring, connection: Connection, authorization: string, services: Services): Promise<boolean> {
  const ended = await endedSessionFor(authorization, services).catch(() => null);
  if (!ended) return false;
  connection.ownSessionId = ended.sessionId;
  connection.sessionEnded = true;
  connection.endedSessionOnly = true;
  setTimeout(() => transport.close(connection, CLOSE_SESSION_ENDED, 'Session terminated'), ENDED_SESSION_CLOSE_GUARD_MS).unref();
  return true;
}

/** subscribe: parse and validate through yoga's envelop, then let graphql-ws run it. */
async function prepareOperation(wiring: Wiring, ctx: OperationContext, id: string, payload: SubscribePayload) {
  if (!wiring.debug) return prepare(wiring, ctx, id, payload);
  const started = performance.now();
  const prepared = await prepare(wiring, ctx, id, payload);
  if (Array.isArray(prepared)) {
    // Refused before it ran (a limit, the session ended, too many operations): no onOperation follows.
    const errors = prepared as readonly GraphQLError[];
    logSocketOperation(wiring.debug, {
      operation: operationName(undefined, payload),
      caller: ctx.extra.callerFacts,
      started,
      outcome: 'refused',
      code: firstCode(errors) ?? 'GRAPHQL_VALIDATION_FAILED',
    });
  } else {
    operationStarts.set(prepared, { started, operation: operationName(prepared.document, payload) });
  }
  return prepared;
}

async function prepare({ yoga, transport, lifetimes }: Wiring, ctx: OperationContext, id: string, payload: SubscribePayload) {
  const connection = ctx.extra;
  if (connection.sessionEnded && !connection.endedSessionOnly) {
    // Answer the operation, then close once the answer is on its way.
    transport.close(connection, CLOSE_SESSION_ENDED, 'Session terminated');
    return [createGraphQLError('Session is no longer active', { extensions: { code: 'UNAUTHENTICATED' } })];
  }
  if (connection.ops.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
    return [
      createGraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations per connection`, {
        extensions: { code: 'RATE_LIMITED', retryAfter: 1 },
      }),
    ];
  }
  const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(
    wantsSourceStream({
      ...ctx,
      ip: connection.ip,
      socket: connection.socket,
      params: payload,
      connectionParams: ctx.connectionParams ?? {},
    }),
  );
  // graphql-armor's limits (depth, aliases, tokens…) throw their refusal from parse or validate
  // rather than return it: either way it is this operation's `error` message, never a reason to
  // close a socket whose other subscriptions are fine (test/transport.test.ts).
  let document;
  try {
    document = parse(payload.query);
    const errors = validate(schema, document);
    if (errors.length) return errors;
  } catch (error) {
    return [asGraphQLError(error)];
  }
  // Counted before the first await, so a burst of subscribe messages cannot overshoot the cap.
  connection.ops.set(id, 'pending');
  const contextValue = await contextFactory();
  onWatch(contextValue, (sessionId) => {
    if (!connection.ops.has(id)) return;
    const watch = sessionId !== null && sessionId === connection.ownSessionId ? 'own' : 'other';
    connection.ops.set(id, watch);
    if (watch === 'other') lifetimes.closeIfDone(connection);
  });
  return {
    schema,
    operationName: payload.operationName,
    document,
    variableValues: payload.variables,
    contextValue,
    rootValue: { execute, subscribe } satisfies EnvelopedOperations,
  };
}

/** A refusal as graphql-ws sends it; anything that is not a GraphQLError already is worded, never passed on. */
function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof Error && error.name === 'GraphQLError') return error as GraphQLError;
  return createGraphQLError('Invalid document', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
}

/**
 * What a subscription's events execute with. The context its resolver checked access with (an
 * EntityManager with its identity map and the loaded session; the operation's initial context; the
 * envelop plumbing) would live as long as the subscription — days, for an idle forced-logout
 * subscriber — though its events need none of it. This keeps the caller it resolved, and makes a
 * fresh unit of work only if an event's resolvers ask for one.
 */
class EventContext implements GraphQLContext {
  readonly ip: string | null;
  readonly clock: GraphQLContext['clock'];
  readonly events: GraphQLContext['events'];
  readonly metrics: GraphQLContext['metrics'];
  readonly watchers: GraphQLContext['watchers'];
  readonly publicUrl: string;
  private readonly resolvedCaller: Promise<Caller>;
  private unitOfWork: Services | null = null;

  constructor(
    context: GraphQLContext,
    private readonly deps: AppDeps,
  ) {
    ({ ip: this.ip, clock: this.clock, events: this.events, metrics: this.metrics, watchers: this.watchers, publicUrl: this.publicUrl } = context);
    this.resolvedCaller = context.caller();
    this.resolvedCaller.catch(() => undefined); // a refused caller already failed the subscription
  }

  caller(): Promise<Caller> {
    return this.resolvedCaller;
  }

  endedSession(): Promise<null> {
    return Promise.resolve(null); // asked only by a subscription's resolver, which ran on the operation's context
  }

  get services(): Services {
    return (this.unitOfWork ??= createServices(this.deps));
  }
}
