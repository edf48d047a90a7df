/**
 * The clerk-sync CLI as it was at an earlier commit, built beside this checkout, so that a
 * benchmark shows before and after in one run, on the same machine in the same minutes (this
 * VM's speed drifts by tens of percent over an hour, so runs on different days do not compare).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The last commit before the inbox-at-scale work (counters, index diet, receiver changes): the ingest "before". */
export const INGEST_BASELINE = '3968329';

/**
 * `node` arguments that run the CLI of commit `rev`: its files from git (`git archive`, so the
 * checkout needs its history), this checkout's node_modules, and its own `npm run build`.
 * Built once per commit, under the OS temp dir.
 */
export function baselineCliArgs(rev: string = INGEST_BASELINE): string[] {
  const dir = join(tmpdir(), `clerk-sync-baseline-${rev}`);
  const main = join(dir, 'dist', 'cli', 'main.js');
  if (!existsSync(join(dir, 'dist', '.build-complete'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', '--format=tar', rev], { cwd: ROOT, maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return [main];
}
