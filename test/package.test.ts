import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as root from '../src/index.js';
import pkg from '../package.json' with { type: 'json' };
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layerViolations } from '../scripts/layers.js';
import { tempDir } from './support/env.js';

describe('package surface', () => {
  it('the root entry exports the core API, the verifier and the catalog', () => {
    for (const name of ['createClerkSync', 'Worker', 'PermanentError', 'openDatabase', 'migrateToLatest', 'syncTables', 'verifyWebhook', 'signWebhook', 'createVerifier', 'WebhookVerificationError', 'parseEvent', 'eventFixture', 'EVENT_TYPES']) {
      assert.ok(name in root, `${name} is exported`);
    }
    assert.equal(root.EVENT_TYPES.length, 49);
  });

  it('the build makes the CLI bin executable, so `npx clerk-sync` runs after npm ci', () => {
    assert.match(pkg.scripts.build, /chmod \+x dist\/cli\/main\.js/);
    assert.equal(pkg.bin['clerk-sync'], 'dist/cli/main.js');
  });

  it('package.json points every export and the bin at built files of existing sources', async () => {
    const { existsSync } = await import('node:fs');
    const targets = [pkg.bin['clerk-sync'], ...Object.values(pkg.exports).map((e) => (typeof e === 'string' ? e : e.default))];
    for (const t of targets) {
      if (t.endsWith('package.json')) continue;
      const source = t.replace(/^\.?\/?dist\//, 'src/').replace(/\.js$/, '.ts');
      assert.ok(existsSync(new URL(`../${source}`, import.meta.url)), `${t} is built from ${source}`);
    }
  });

  it('each framework adapter is a subpath export with types, and its framework an optional peer (tested as a devDependency)', async () => {
    const exportsMap = pkg.exports as Record<string, { types: string; default: string } | string>;
    const adapters = { next: null, express: 'express', fastify: 'fastify', hono: 'hono', node: null, lambda: null } as const;
    for (const [name, framework] of Object.entries(adapters)) {
      assert.deepEqual(exportsMap[`./${name}`], { types: `./dist/adapters/${name}/index.d.ts`, default: `./dist/adapters/${name}/index.js` });
      if (framework) {
        assert.ok((pkg as any).peerDependencies[framework], `${framework} is a peer dependency`);
        assert.deepEqual((pkg as any).peerDependenciesMeta[framework], { optional: true });
        assert.ok((pkg.devDependencies as Record<string, string>)[framework], `${framework} is installed for the tests`);
      }
    }
    assert.deepEqual((pkg as any).peerDependenciesMeta.next, { optional: true });
    assert.ok((pkg.devDependencies as Record<string, string>).express4?.startsWith('npm:express@^4'), 'Express 4 is tested too');
    for (const framework of ['express', 'fastify', 'hono', 'next']) assert.equal((pkg.dependencies as Record<string, string>)[framework], undefined, `${framework} is not a hard dependency`);
  });

  it('the adapters and handlers expose their documented names', async () => {
    const expected: Record<string, string[]> = {
      next: ['clerkSyncNext', 'appRouteHandler', 'pagesApiHandler'],
      express: ['mountClerkSync', 'clerkSyncMiddleware'],
      fastify: ['clerkSyncFastify'],
      hono: ['clerkSyncHono'],
      node: ['nodeWebhookHandler'],
      lambda: ['clerkSyncLambda'],
    };
    for (const [name, names] of Object.entries(expected)) {
      const mod = await import(`../src/adapters/${name}/index.ts`);
      for (const n of names) assert.equal(typeof mod[n], 'function', `clerk-sync/${name} exports ${n}`);
    }
    for (const n of ['EventHandlers', 'HandlerTimeoutError', 'PermanentError', 'DEFAULT_HANDLER_TIMEOUT_MS']) assert.ok(n in root, `${n} is exported`);
  });

  it('an adapter loads only what receiving needs: never the admin surface, the dashboard or the CLI', () => {
    for (const adapter of ['next', 'express', 'fastify', 'hono', 'node', 'lambda']) {
      const loaded = staticImports(`src/adapters/${adapter}/index.ts`);
      const heavy = [...loaded].filter((m) => /^src\/(admin|cli|metrics)\/|^src\/(server|index)\.ts$/.test(m));
      assert.deepEqual(heavy, [], `clerk-sync/${adapter} loads ${heavy.join(', ')}`);
      assert.ok(loaded.has('src/receiver/response.ts'), `clerk-sync/${adapter}: the walk follows its imports`);
    }
  });

  it('npm pack ships the built modules of today\'s sources: no source maps, no stale modules, no 120 KB fixtures declaration', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: fileURLToPath(new URL('../', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const paths: string[] = packed.files.map((f: { path: string }) => f.path);
    assert.ok(paths.includes('dist/index.js') && paths.includes('dist/cli/main.js'), 'built: run npm run build first');
    assert.deepEqual(paths.filter((p) => p.endsWith('.map')), [], 'no source maps (they point at src/, which is not shipped)');
    assert.ok(!paths.includes('dist/events/generated/fixtures.data.d.ts'));
    const stale = paths.filter((p) => /^dist\/.*\.js$/.test(p) && !existsSync(new URL(`../${p.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')}`, import.meta.url)) && !p.includes('/static/') && !p.startsWith('dist/vendor/'));
    assert.deepEqual(stale, [], 'every shipped module is built from a source that exists');
    assert.ok(paths.includes('dist/vendor/kysely.js') && paths.includes('dist/vendor/LICENSE.kysely'), 'Kysely bundled into one module, with its license (scripts/bundle-kysely.mjs)');
    assert.ok(paths.includes('LICENSE') && paths.includes('README.md'), 'the license and the README ship');
    assert.deepEqual(paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(p)), [], 'nothing but the build, README, LICENSE and package.json: no sources, no tests');
  });

  it('package.json has what the registry page and `npm i github:clerk-sync/clerk-sync` need', () => {
    const meta = pkg as typeof pkg & { repository: { type: string; url: string }; homepage: string; bugs: { url: string }; keywords: string[] };
    assert.deepEqual(meta.repository, { type: 'git', url: 'git+https://github.com/clerk-sync/clerk-sync.git' });
    assert.equal(meta.homepage, 'https://github.com/clerk-sync/clerk-sync#readme');
    assert.equal(meta.bugs.url, 'https://github.com/clerk-sync/clerk-sync/issues');
    assert.ok(meta.keywords.includes('clerk') && meta.keywords.includes('webhooks'));
    assert.equal(pkg.license, 'MIT');
    assert.match(readFileSync(new URL('../LICENSE', import.meta.url), 'utf8'), /^MIT License/);
    assert.equal(pkg.scripts.prepare, 'node scripts/prepare.mjs', 'a git install builds through prepare');
    assert.match(pkg.scripts.build, /writeFileSync\('dist\/\.build-complete', ''\)"$/, 'the build marks itself complete as its last step');
  });

  it('prepare builds when dist/ is missing or older than its sources, and not when a complete build is newer (npx in a clone runs it again)', () => {
    const project = tempDir();
    mkdirSync(join(project, 'scripts'));
    mkdirSync(join(project, 'src'));
    copyFileSync(new URL('../scripts/prepare.mjs', import.meta.url), join(project, 'scripts/prepare.mjs'));
    writeFileSync(join(project, 'src/index.ts'), 'export {};\n');
    // A build that counts its runs and, like the real one, marks itself complete last.
    const build = "const fs = require('node:fs'); fs.mkdirSync('dist', { recursive: true }); fs.appendFileSync('builds', 'x'); fs.writeFileSync('dist/.build-complete', '')";
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { build: `node -e "${build}"` } }));
    const prepare = () => execFileSync(process.execPath, ['scripts/prepare.mjs'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    const builds = () => readFileSync(join(project, 'builds'), 'utf8').length;
    prepare();
    assert.equal(builds(), 1, 'no dist/: built');
    prepare();
    assert.equal(builds(), 1, 'a complete build newer than its sources: not rebuilt');
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(project, 'src/index.ts'), later, later);
    prepare();
    assert.equal(builds(), 2, 'a source newer than the build: rebuilt');
    rmSync(join(project, 'dist/.build-complete'));
    prepare();
    assert.equal(builds(), 3, 'a build that did not finish: rebuilt');
  });

  it('no import in src/ goes up a layer (npm run layers)', () => {
    const { violations, unplaced } = layerViolations();
    assert.deepEqual(unplaced, [], 'every part of src/ is on a floor of scripts/layers.ts');
    assert.deepEqual(violations, []);
  });
});

/** Every module a file loads through static imports, transitively, as paths from the repository root. */
function staticImports(entry: string): Set<string> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/^(?:import|export)\b(?!\s+type\b)[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
      visit(normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
    }
  };
  visit(entry);
  return seen;
}
