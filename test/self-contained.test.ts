/**
 * The repository stands alone: a fresh clone has everything its tests, scripts, benchmarks and
 * build read. Every relative path that code here opens must stay inside the repository, and the
 * generated event types and fixtures must be what the generator makes from the spec copied here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { tempDir } from './support/env.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|js)$/.test(e.name))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

describe('a self-contained repository', () => {
  it('no test, script, benchmark or source opens a path outside the repository', () => {
    const outside: string[] = [];
    for (const file of ['src', 'test', 'scripts', 'bench', 'examples/express', 'examples/fastify'].flatMap((d) => sources(d).filter((f) => !f.includes('node_modules')))) {
      const text = readFileSync(file, 'utf8');
      if (/\bshared\/(clerk|vectors|design|GUIDE)/.test(text)) outside.push(`${relative(ROOT, file)}: names the team's shared folder`);
      for (const m of text.matchAll(/new URL\(\s*['"`](\.\.?\/[^'"`$]*)['"`]\s*,\s*import\.meta\.url\s*\)/g)) {
        const target = resolve(join(file, '..'), m[1]!);
        if (relative(ROOT, target).startsWith('..')) outside.push(`${relative(ROOT, file)}: ${m[1]} is outside the repository`);
      }
    }
    assert.deepEqual(outside, []);
  });

  it('npm run gen:events regenerates src/events/generated/ exactly from spec/clerk/', () => {
    const out = tempDir();
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/gen-events.ts'), '--out', out], { cwd: ROOT, stdio: 'pipe' });
    for (const name of ['types.ts', 'fixtures.data.ts']) {
      assert.equal(readFileSync(join(out, name), 'utf8'), readFileSync(join(ROOT, 'src/events/generated', name), 'utf8'), `${name} is up to date: run npm run gen:events and commit it`);
    }
  });
});
