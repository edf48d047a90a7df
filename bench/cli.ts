/**
 * The clerk-sync CLI as users run it: compiled JavaScript from `npm run build`, not TypeScript
 * through tsx (whose loader thread alone adds tens of MB to every process's RSS).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
let built = false;

/** `node` arguments that run the CLI; builds it first, once per benchmark process. */
export function cliArgs(): string[] {
  if (!built) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    built = true;
  }
  return [fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))];
}
