import { GraphQLError } from 'graphql';
import { DriverException, ConnectionException } from '@mikro-orm/core';
import { DomainError } from '../errors.js';

function unwrap(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/**
 * The one place that turns errors into what clients see. Domain errors keep their message and get
 * their stable code; GraphQL's own errors (validation, parsing) pass through; anything else is
 * masked — no stack, no SQL, no driver message ever reaches a client.
 */
export function maskError(error: unknown, fallbackMessage: string): Error {
  const original = unwrap(error);
  const graphqlError = error instanceof GraphQLError ? error : null;
  const location = graphqlError ? { nodes: graphqlError.nodes, source: graphqlError.source, positions: graphqlError.positions, path: graphqlError.path } : {};
  if (original instanceof DomainError) {
    return new GraphQLError(original.message, { ...location, extensions: { code: original.code, ...original.extensions } });
  }
  if (original instanceof ConnectionException || (original instanceof Error && /ECONNREFUSED|Connection terminated|timeout acquiring|Knex: Timeout/i.test(original.message))) {
    return new GraphQLError('The database is unavailable, try again shortly', { ...location, extensions: { code: 'SERVICE_UNAVAILABLE' } });
  }
  if (graphqlError && !graphqlError.originalError) return graphqlError;
  if (original instanceof DriverException || original instanceof Error) {
    return new GraphQLError(fallbackMessage, { ...location, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }
  return new GraphQLError(fallbackMessage, { ...location, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
