import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Caller } from '../auth/caller.js';
import type { Logger } from '../logger.js';

/**
 * What one request's debug line says beyond method, path, status and duration: filled in by the
 * GraphQL layer as the operation runs (the operation's name, who called, in which realm). Only
 * made when debug is on: with it off, no request pays for any of this (bench/).
 */
export interface RequestFacts {
  handler?: 'fast-path' | 'yoga';
  operation?: string | null;
  /** anonymous, admin, user — or refused (a credential that did not check out). */
  caller?: Caller['kind'] | 'refused';
  realm?: string | null;
}

const factsByRequest = new WeakMap<IncomingMessage, RequestFacts>();

/** The facts of a request being logged; undefined when debug is off (nothing to fill in). */
export function requestFacts(req: IncomingMessage | undefined): RequestFacts | undefined {
  return req ? factsByRequest.get(req) : undefined;
}

/** Starts the debug line of a request when debug is on; it is written when the response finishes. */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, pathname: string): RequestFacts | undefined {
  if (!logger.enabled('debug')) return undefined;
  const started = performance.now();
  const facts: RequestFacts = {};
  factsByRequest.set(req, facts);
  res.once('close', () => {
    logger.debug('request', {
      method: req.method,
      path: pathname,
      status: res.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...facts,
    });
  });
  return facts;
}

/** Notes who a request's caller turned out to be (never their credential). */
export function noteCaller(facts: RequestFacts | undefined, caller: Promise<Caller>): Promise<Caller> {
  if (!facts) return caller;
  return caller.then(
    (resolved) => {
      facts.caller = resolved.kind;
      facts.realm = resolved.kind === 'anonymous' ? null : resolved.realmId;
      return resolved;
    },
    (error: unknown) => {
      facts.caller = 'refused';
      throw error;
    },
  );
}

/** Notes the name of the operation a request runs (yoga's path and the fast path alike). */
export function useOperationNames(): Plugin<{ req?: IncomingMessage }> {
  return {
    onExecute({ args }) {
      const facts = requestFacts(args.contextValue.req);
      if (facts) facts.operation = getOperationAST(args.document, args.operationName ?? undefined)?.name?.value ?? null;
    },
  };
}

/** Who a WebSocket's operations run as: noted once, at connection_init, when debug is on. */
export interface SocketCallerFacts {
  caller: Caller['kind'] | 'refused';
  realm: string | null;
}

export function socketCallerFacts(caller: Caller | null): SocketCallerFacts {
  if (!caller) return { caller: 'refused', realm: null };
  return { caller: caller.kind, realm: caller.kind === 'anonymous' ? null : caller.realmId };
}

/**
 * An operation over WebSocket has no HTTP response to hang its debug line on: it gets a line of its
 * own once it is answered — `subscribed` (its stream is open), `answered` (a query or mutation's
 * result), or `refused` (with the first error's code). Never the document, variables or credential.
 */
export function logSocketOperation(
  logger: Logger,
  line: { operation: string | null; caller: SocketCallerFacts | null; started: number; outcome: 'subscribed' | 'answered' | 'refused'; code?: string },
): void {
  logger.debug('websocket operation', {
    path: '/graphql',
    operation: line.operation,
    caller: line.caller?.caller ?? 'refused',
    realm: line.caller?.realm ?? null,
    outcome: line.outcome,
    ...(line.code ? { code: line.code } : {}),
    durationMs: Math.round((performance.now() - line.started) * 10) / 10,
  });
}
