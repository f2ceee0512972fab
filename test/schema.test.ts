import { readFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema.js';

// The committed schema.graphql is what clients and codegen read: it must be exactly what the code
// builds (`npm run schema:print` rewrites it). CI also runs `npm run schema:check`.
describe('schema.graphql', () => {
  it('is the printed Pothos schema (no drift)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchema(lexicographicSortSchema(schema)) + '\n');
  });

  it('keeps the names clients code against (schema.graphql, docs/concepts.md)', () => {
    const printed = printSchema(schema);
    for (const name of [
      'type LoginResult',
      'type TokenVerification',
      'type SessionTerminatedEvent',
      'enum TerminationReason',
      'enum SessionState',
      'type Viewer',
      'type SessionEvent',
      'enum SessionEventType',
      'type ApiKeyCreated',
      'input CreateRealmInput',
      'input UpdateRealmInput',
      'input CreateUserInput',
      'input UpdateUserInput',
      'input CreateOrgInput',
      'input CreateMembershipInput',
      'input LoginInput',
      'input ApiKeyLoginInput',
      'sessionTerminated(sessionId: ID): SessionTerminatedEvent!',
      'sessionEvents(realmId: ID!, after: String): SessionEvent!',
      'terminateAllSessions(keepCurrent: Boolean = false, userId: ID!): Int!',
    ]) {
      expect(printSchema(lexicographicSortSchema(schema)) + printed).toContain(name);
    }
  });
});
