import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// @tessera/client as an app gets it from `npm pack` (client/README.md): the tarball is
// unpacked into a scratch app's node_modules, next to the only two packages it may need at run
// time (graphql-ws and jose, linked to the repository's copies), and plain Node (no vitest, no
// TypeScript loader) imports both entries by their package names.

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..');
const clientDir = join(repo, 'client');
const RUNTIME_DEPENDENCIES = ['graphql-ws', 'jose'];

let scratch: string;
let packed: string[]; // the tarball's file names, without the leading package/
let installed: string; // <scratch>/node_modules/@tessera/client

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tessera-client-pack-'));
  // dist/ was built by the test run's global setup (test/helpers/global-setup.ts) with the build
  // script prepack runs: packing without scripts here leaves it alone while other files serve it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], {
    cwd: clientDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = report.files.map((file) => file.path);

  installed = join(scratch, 'node_modules', '@tessera', 'client');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', join(scratch, report.filename), '-C', installed, '--strip-components=1']);
  for (const name of RUNTIME_DEPENDENCIES) await symlink(join(repo, 'node_modules', name), join(scratch, 'node_modules', name), 'dir');
}, 120_000);
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs an ES module in the scratch app with plain node and returns what it printed as JSON. */
async function inApp(source: string): Promise<unknown> {
  const script = join(scratch, 'probe.mjs');
  await writeFile(script, source);
  const { stdout } = await run(process.execPath, [script], { cwd: scratch });
  return JSON.parse(stdout);
}

describe('the npm pack tarball', () => {
  it('holds dist with its type declarations and the README, and no sources or tests', () => {
    for (const file of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts']) expect(packed).toContain(file);
    const scripts = packed.filter((file) => file.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(5);
    for (const js of scripts) expect(packed, `${js} has its declarations`).toContain(js.replace(/\.js$/, '.d.ts'));
    expect(packed.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md'].includes(file))).toEqual([]);
    expect(packed.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toBe(false);
  });

  it('plain Node imports @tessera/client and @tessera/client/node by name, with the exports the README uses', async () => {
    const exports = (await inApp(`
      const describe = (module) => Object.fromEntries(Object.entries(module).map(([name, value]) => [name, typeof value]));
      const browser = await import('@tessera/client');
      const node = await import('@tessera/client/node');
      const verifier = node.createVerifier({ issuer: 'http://127.0.0.1:1/realms/rlm_x', secret: 'x'.repeat(64) });
      await verifier.close();
      console.log(JSON.stringify({ browser: describe(browser), node: describe(node), verifier: describe(verifier) }));
    `)) as Record<'browser' | 'node' | 'verifier', Record<string, string>>;
    expect(exports.browser).toMatchObject({
      createTesseraClient: 'function',
      localStorageAdapter: 'function',
      memoryStorage: 'function',
      TesseraError: 'function',
    });
    expect(exports.node).toMatchObject({ createVerifier: 'function', createAuthenticator: 'function', TokenRejectedError: 'function', toResponse: 'function' });
    expect(exports.verifier).toMatchObject({ verify: 'function' });
  });

  it('its type declarations name the same exports', async () => {
    const browser = await readFile(join(installed, 'dist', 'index.d.ts'), 'utf8');
    const node = await readFile(join(installed, 'dist', 'node.d.ts'), 'utf8');
    for (const name of ['createTesseraClient', 'localStorageAdapter', 'memoryStorage', 'TesseraClient', 'TokenStorage', 'SessionTermination'])
      expect(browser).toContain(name);
    for (const name of ['createVerifier', 'createAuthenticator', 'TokenRejectedError', 'toResponse', 'Verifier', 'TesseraClaims']) expect(node).toContain(name);
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string }> };
    for (const entry of ['.', './node']) expect(packed).toContain(manifest.exports[entry].types!.replace(/^\.\//, ''));
  });
});

describe('runtime dependencies', () => {
  it('package.json depends on graphql-ws and jose only; ws is an optional peer', async () => {
    const manifest = JSON.parse(await readFile(join(clientDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(RUNTIME_DEPENDENCIES);
    expect(Object.keys(manifest.peerDependencies ?? {})).toEqual(['ws']);
    expect(manifest.peerDependenciesMeta?.ws?.optional).toBe(true);
  });

  it('no file of the packed dist imports a bare module beyond them (node: builtins and the optional dynamic ws aside)', async () => {
    const files = (await listFiles(join(installed, 'dist'))).filter((file) => file.endsWith('.js') || file.endsWith('.d.ts'));
    expect(files.length).toBeGreaterThan(10);
    const bare = new Set<string>();
    const computed: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/\b(?:from|import)\s*['"]([^'"]+)['"]/g), // import … from 'x', export … from 'x', import 'x'
        ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g), // import('x'), also in .d.ts types
        ...text.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((match) => match[1]);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        bare.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
      }
      // An import() of a computed name: allowed only where the optional ws package is looked for.
      for (const match of text.matchAll(/\bimport\s*\(\s*([^'"\s)][^)]*)\)/g)) computed.push(`${relative(installed, file)}: ${match[1]}`);
      expect(text, `${relative(installed, file)} has no require()`).not.toMatch(/\brequire\s*\(/);
    }
    expect([...bare].sort()).toEqual(RUNTIME_DEPENDENCIES);
    expect(computed).toEqual(['dist/node/websocket-impl.js: name']);
    const websocketImpl = await readFile(join(installed, 'dist', 'node', 'websocket-impl.js'), 'utf8');
    expect(websocketImpl).toMatch(/const name = 'ws';/);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}
