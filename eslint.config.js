// Lint: typescript-eslint's recommended rules, plus the house rules of docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The store files: every SQL statement lives in one of them (or in src/db, which runs them).
const STORES = ['src/**/*-store.ts', 'src/**/*-store.sql.ts'];
const DB = ['src/db/**'];
// The transport layers, the only ones that may know GraphQL (and that call GraphQL's `execute`).
const TRANSPORTS = ['src/graphql/**', 'src/server/**', 'src/app.ts'];

const noSqlImport = {
  regex: '(^|/)db/sql(\\.js)?$',
  message: 'Only store files (*-store.ts) run SQL: call a store method instead.',
  // A fragment may pass through (the login's read riding in the throttle's statement); running it may not.
  allowTypeImports: true,
};
const noGraphqlImport = {
  regex: '^(graphql|graphql-yoga)(/.*)?$|^@pothos/',
  message: 'Nothing below src/graphql knows GraphQL: take plain inputs, return entities, throw DomainError.',
};
const restrictedImports = (...patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });

const sqlSyntax = [
  { selector: "MemberExpression[property.name='getConnection']", message: 'Only store files reach the connection: call a store method.' },
  { selector: "MemberExpression[property.name='getKnex']", message: 'Only store files reach the driver: call a store method.' },
];
// The EntityManager's raw SQL, told apart from GraphQL's execute() in the transport layers.
const emExecute = [
  { selector: "CallExpression[callee.property.name='execute'][callee.object.name=/^(em|tx|trx)$/]", message: 'Only store files run SQL.' },
  { selector: "CallExpression[callee.property.name='execute'][callee.object.property.name='em']", message: 'Only store files run SQL.' },
];
const anyExecute = [{ selector: "CallExpression[callee.property.name='execute']", message: 'Only store files run SQL: call a store method.' }];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'test/generated/', '**/dist/', '.tmp-probe/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Small parts with names that say what they do.
    files: ['src/**'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  // Layering (docs/architecture.md, rules of the house): nothing outside the store files runs SQL;
  // nothing below src/graphql imports graphql-yoga, Pothos or graphql. A file gets one entry per
  // rule (a later entry replaces an earlier one), hence one block per kind of file.
  {
    files: ['src/**'],
    ignores: [...STORES, ...DB, ...TRANSPORTS],
    rules: { ...restrictedImports(noSqlImport, noGraphqlImport), 'no-restricted-syntax': ['error', ...sqlSyntax, ...anyExecute] },
  },
  {
    files: TRANSPORTS,
    rules: { ...restrictedImports(noSqlImport), 'no-restricted-syntax': ['error', ...sqlSyntax, ...emExecute] },
  },
  {
    files: [...STORES, ...DB],
    rules: restrictedImports(noGraphqlImport),
  },
  {
    // The admin console and GraphiQL's start script: plain JavaScript that runs in the browser.
    files: ['console/**/*.js', 'src/server/graphiql-start.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // @tessera/client runs in browsers and in Node: only the globals both have (fetch, WebSocket…).
    files: ['client/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The browser example: plain ES modules in a page, and its small static server.
    files: ['examples/browser/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests and benchmarks read loosely typed JSON answers.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
