// `prepare`, which npm runs on `npm ci`, on `npm install` from git, and (npm 11) again the first
// time `npx clerk-sync` runs inside a clone: builds dist/ unless a complete build is already newer
// than everything it is built from. Without this, that first npx rebuilds, emptying dist/ for the
// 20-40 s it takes, under a server started from it a moment before. `npm run build` always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Written by `npm run build` as its last step: the build it ends is complete. */
const STAMP = join(ROOT, 'dist', '.build-complete');
const INPUTS = ['src', 'scripts/bundle-kysely.mjs', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

if (existsSync(STAMP) && statSync(STAMP).mtimeMs > Math.max(...INPUTS.map((p) => newest(join(ROOT, p))))) {
  console.error('clerk-sync: dist/ is newer than its sources; not rebuilt (npm run build rebuilds it)');
} else {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  process.exit(build.status ?? 1);
}
