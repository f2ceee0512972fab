// Prints the Pothos schema to schema.graphql; with --check, fails when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.js';

const path = new URL('../schema.graphql', import.meta.url);
const printed = printSchema(lexicographicSortSchema(schema)) + '\n';

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    // missing file counts as stale
  }
  if (committed !== printed) {
    console.error('schema.graphql is stale: run `npm run schema:print` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
} else {
  writeFileSync(path, printed);
  console.log('wrote schema.graphql');
}
