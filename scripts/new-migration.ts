// `npm run migration:create -- <name>`: a blank, hand-written migration with today's timestamp, added
// to src/db/migrations-list.ts (the migrator reads that list, not the folder). Migrations here are
// written by hand, headed by their reason, not diffed from the entities (docs/architecture.md).
import { readFile, writeFile } from 'node:fs/promises';

const name = process.argv[2]?.trim() ?? '';
if (!/^[a-z][a-z0-9_]*$/.test(name)) {
  process.stderr.write('usage: npm run migration:create -- <name in snake_case, e.g. webhook_endpoints>\n');
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const className = `Migration${stamp}_${name}`;
const file = `migrations/${className}.ts`;
await writeFile(
  file,
  `import { Migration } from '@mikro-orm/migrations';

// Why this change: what it fixes or makes possible, and the measurement that chose its shape.
export class ${className} extends Migration {
  override async up(): Promise<void> {
    this.addSql(\`\`);
  }
}
`,
  { flag: 'wx' },
);

const listPath = 'src/db/migrations-list.ts';
const list = await readFile(listPath, 'utf8');
const withImport = list.replace(/\nexport const migrationsList = \[/, `import { ${className} } from '../../migrations/${className}.js';\n$&`);
const withEntry = withImport.replace(/\n\];\s*$/, `\n  { name: '${className}', class: ${className} },\n];\n`);
if (withEntry === list) throw new Error(`${listPath} did not have the expected shape; add ${className} by hand`);
await writeFile(listPath, withEntry);
process.stdout.write(`created ${file} and listed it in ${listPath}\n`);
