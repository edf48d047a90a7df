import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onFileEnd, waitFor } from './env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The built CLI, as users run it: `npm test` builds dist/ first when a source is newer than it
 * (scripts/test.mjs), and starting it takes a fifth of the time tsx takes to compile the sources,
 * over the few hundred commands the tests run. CLERK_SYNC_TEST_CLI=tsx runs the sources instead.
 */
export const CLI = process.env.CLERK_SYNC_TEST_CLI === 'tsx'
  ? ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))]
  : [fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `clerk-sync <args>` to completion. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`clerk-sync ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliProcess {
  child: ChildProcess;
  logs(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export interface ServeProcess extends CliProcess {
  url: string;
  port: number;
}

/**
 * Spawns a long-running `clerk-sync <args>` and waits until `ready(logs)` returns a value;
 * fails at once if the process exits first. The process is killed when the test file ends.
 */
async function startLongRunning<T>(args: string[], env: Record<string, string | undefined>, what: string, ready: (logs: string) => T | undefined | false): Promise<CliProcess & { ready: T }> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  onFileEnd(() => void child.kill('SIGKILL'));
  let done = false;
  void exited.then(() => (done = true));
  const value = await waitFor(
    () => {
      if (done) throw new Error(`clerk-sync ${args[0]} exited early:\n${logs}`);
      return ready(logs);
    },
    { timeoutMs: 20_000, what },
  );
  return { child, logs: () => logs, exited, ready: value };
}

/** Starts `clerk-sync serve` on a free loopback port and waits until it listens. */
export async function startServe(args: string[], env: Record<string, string | undefined> = {}): Promise<ServeProcess> {
  const p = await startLongRunning(['serve', '--host', '127.0.0.1', '--port', '0', ...args], env, 'clerk-sync serve to listen', (logs) => {
    const m = /"port":(\d+)/.exec(logs);
    return m ? Number(m[1]) : undefined;
  });
  return { ...p, port: p.ready, url: `http://127.0.0.1:${p.ready}/api/webhooks` };
}

/** Spawns `clerk-sync serve <args>` (port and host as given) without waiting for it to be ready. */
export function startLongRunningServe(args: string[], env: Record<string, string | undefined> = {}): Promise<CliProcess> {
  return startLongRunning(['serve', '--host', '127.0.0.1', ...args], env, 'clerk-sync serve to start', () => true);
}

/** Starts `clerk-sync worker` and waits until it has started. */
export function startWorker(args: string[], env: Record<string, string | undefined> = {}): Promise<CliProcess> {
  return startLongRunning(['worker', ...args], env, 'clerk-sync worker to start', (logs) => logs.includes('clerk-sync worker started'));
}

function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CLERK_WEBHOOK_SIGNING_SECRET: undefined, DATABASE_URL: undefined, PORT: undefined, NODE_OPTIONS: undefined, ...extra };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}
