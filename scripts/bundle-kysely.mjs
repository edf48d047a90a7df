// Part of `npm run build`. Kysely ships as some 280 modules, and loading them costs a fresh Node
// process about 200 ms on this project's machines (35 ms as one file): a cost every serverless
// cold start pays before it can answer. So the build bundles Kysely into dist/vendor/kysely.js and
// points the built modules at it. Types still come from the `kysely` package (the .d.ts files are
// untouched), and the tests, which run the sources, use the package itself.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const vendored = join(dist, 'vendor/kysely.js');
// Kysely's exports do not include its package.json: find its root from the entry it resolves to.
const require = createRequire(import.meta.url);
const isRoot = (dir) => readdirSync(dir).includes('package.json') && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'kysely';
let kyselyRoot = dirname(require.resolve('kysely'));
while (!isRoot(kyselyRoot)) kyselyRoot = dirname(kyselyRoot);
const { module: esmEntry, version } = JSON.parse(readFileSync(join(kyselyRoot, 'package.json'), 'utf8'));

await build({
  entryPoints: [join(kyselyRoot, esmEntry)],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: vendored,
  legalComments: 'none',
  banner: { js: `// Kysely ${version} (MIT, Copyright (c) 2022 Sami Koskimäki; see LICENSE.kysely), bundled into one module by scripts/bundle-kysely.mjs.` },
  logLevel: 'warning',
});
writeFileSync(join(dist, 'vendor/LICENSE.kysely'), readFileSync(join(kyselyRoot, 'LICENSE'), 'utf8'));

let rewritten = 0;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const file = join(entry.parentPath ?? entry.path, entry.name);
  if (file === vendored) continue;
  const text = readFileSync(file, 'utf8');
  // Import statements only (at the start of a line): the schema renderers write `from 'kysely'`
  // into the code they generate, which must stay as it is.
  const imports = /^((?:import|export)\b[^\n]*?) from 'kysely'/gm;
  if (!imports.test(text)) continue;
  let target = relative(dirname(file), vendored);
  if (!target.startsWith('.')) target = `./${target}`;
  writeFileSync(file, text.replace(imports, (_, statement) => `${statement} from '${target}'`));
  rewritten++;
}
console.log(`bundled kysely ${version} into dist/vendor/kysely.js; ${rewritten} built modules import it`);
