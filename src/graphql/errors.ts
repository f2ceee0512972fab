import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable } from '../db/orm.js';
import { DomainError } from '../errors.js';

/**
 * GraphQLError by shape, not by `instanceof`: `graphql` ships CJS and ESM builds, and when both get
 * loaded (vite/vitest resolve the ESM one for our code while yoga gets the CJS one) the classes
 * differ. An `instanceof` test then fails for every error yoga hands us and every domain error
 * would be masked as INTERNAL_SERVER_ERROR.
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError || (error instanceof Error && error.name === 'GraphQLError');
}

function unwrap(error: unknown): unknown {
  let current = error;
  while (isGraphQLError(current) && current.originalError) current = current.originalError;
  return current;
}

/**
 * A variable that failed GraphQL's own coercion (wrong enum value, Int out of range, a JSONObject
 * that is not an object): bad input, not a fault. graphql-js only names the offending input path
 * in its message (`Variable "$input" got invalid value … at "input.customAttributes"; …`).
 */
function coercionField(error: GraphQLError): string | null {
  const match = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)" got invalid value .*?(?: at "([^"]+)")?; /s.exec(error.message);
  if (!match) return null;
  const path = (match[2] ?? match[1]).replace(/\[\d+\]/g, '');
  return path.split('.').at(-1) || match[1];
}

/**
 * The one place that turns errors into what clients see. Domain errors keep their message and get
 * their stable code; GraphQL's own errors (validation, parsing, variable coercion) pass through;
 * anything else is masked — no stack, no SQL, no driver message ever reaches a client.
 */
export function maskError(error: unknown, fallbackMessage: string): Error {
  const original = unwrap(error);
  const graphqlError = isGraphQLError(error) ? error : null;
  const location = graphqlError ? { nodes: graphqlError.nodes, source: graphqlError.source, positions: graphqlError.positions, path: graphqlError.path } : {};
  if (original instanceof DomainError) {
    return new GraphQLError(original.message, { ...location, extensions: { code: original.code, ...original.extensions } });
  }
  if (isDatabaseUnavailable(original)) {
    return new GraphQLError('The database is unavailable, try again shortly', { ...location, extensions: { code: 'SERVICE_UNAVAILABLE' } });
  }
  if (graphqlError && !graphqlError.originalError) return graphqlError;
  const field = graphqlError && isGraphQLError(original) ? coercionField(graphqlError) : null;
  if (graphqlError && field) {
    return new GraphQLError(graphqlError.message, { ...location, extensions: { code: 'BAD_USER_INPUT', field } });
  }
  return new GraphQLError(fallbackMessage, { ...location, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
