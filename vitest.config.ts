import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// One copy of graphql, as in production: vitest would otherwise load graphql's ESM build for our
// sources while yoga and graphql-ws load the CommonJS one, and `instanceof GraphQLError` breaks.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each file starts its own server (and, on the embedded path, its own in-memory PGlite).
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
