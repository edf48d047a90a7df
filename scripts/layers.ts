// The layers of src/, top to bottom, and the imports that break them: a module may import its own
// floor's folder or any floor below, never above. Prints the floors and every import that goes up
// (or across, between two folders of one floor), and exits 1 if there is one.
// Run: npm run layers
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Top to bottom; a name is a folder of src/ or a file at its top (without .ts). */
export const FLOORS: readonly (readonly string[])[] = [
  ['cli', 'index'],
  ['server'],
  ['adapters', 'admin'],
  ['clerk-sync'],
  ['serverless', 'handlers', 'metrics'],
  ['worker', 'reconcile'],
  ['sync'],
  ['receiver', 'processing'],
  ['inbox'],
  ['store'],
  ['verify'],
  ['tables'],
  ['events', 'log', 'duration', 'same-secret', 'docs-link', 'periodic'],
];

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The top-level part of src/ a path is in: `worker` for src/worker/x.ts, `server` for src/server.ts. */
function part(path: string): string {
  return relative(SRC, path).split('/')[0]!.replace(/\.(ts|js)$/, '');
}

export interface Violation {
  from: string;
  to: string;
  importer: string;
}

export function layerViolations(): { violations: Violation[]; unplaced: string[] } {
  const floorOf = new Map(FLOORS.flatMap((names, i) => names.map((n) => [n, i] as const)));
  const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  const violations: Violation[] = [];
  const unplaced = new Set<string>();
  for (const file of files) {
    const from = part(file);
    if (!floorOf.has(from)) unplaced.add(from);
    // Static imports and re-exports only: a dynamic import() is a deliberate, lazy edge.
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
      const to = part(normalize(join(dirname(file), m[1]!)));
      if (to === from) continue;
      if (!floorOf.has(to)) unplaced.add(to);
      const a = floorOf.get(from);
      const b = floorOf.get(to);
      if (a !== undefined && b !== undefined && b <= a) violations.push({ from, to, importer: relative(SRC, file) });
    }
  }
  return { violations, unplaced: [...unplaced] };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { violations, unplaced } = layerViolations();
  console.log(FLOORS.map((f) => f.join(', ')).join('\n  ↓\n'));
  for (const u of unplaced) console.log(`\nnot on any floor: src/${u} (add it to FLOORS in scripts/layers.ts)`);
  for (const v of violations) console.log(`\nimports up or across: ${v.importer} (${v.from}) → ${v.to}`);
  if (violations.length === 0 && unplaced.length === 0) console.log('\nno import goes up');
  process.exitCode = violations.length || unplaced.length ? 1 : 0;
}
