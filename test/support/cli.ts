import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onFileEnd, waitFor } from './env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];

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

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  logs(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `clerk-sync serve` on a free loopback port and waits until it listens. */
export async function startServe(args: string[], env: Record<string, string | undefined> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Never leave a process behind, whatever the test did.
  onFileEnd(() => void child.kill('SIGKILL'));
  let done = false;
  void exited.then(() => (done = true));
  const port = await waitFor(
    () => {
      if (done) throw new Error(`clerk-sync serve exited early:\n${logs}`);
      const m = /"port":(\d+)/.exec(logs);
      return m ? Number(m[1]) : undefined;
    },
    { timeoutMs: 20_000, what: 'clerk-sync serve to listen' },
  );
  return { child, port, url: `http://127.0.0.1:${port}/api/webhooks`, logs: () => logs, exited };
}

function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CLERK_WEBHOOK_SIGNING_SECRET: undefined, DATABASE_URL: undefined, PORT: undefined, NODE_OPTIONS: undefined, ...extra };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

/** Starts `clerk-sync worker` and waits until it has started. */
export async function startWorker(args: string[], env: Record<string, string | undefined> = {}): Promise<Omit<ServeProcess, 'url' | 'port'>> {
  const child = spawn(process.execPath, [...CLI, 'worker', ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Never leave a process behind, whatever the test did.
  onFileEnd(() => void child.kill('SIGKILL'));
  let done = false;
  void exited.then(() => (done = true));
  await waitFor(
    () => {
      if (done) throw new Error(`clerk-sync worker exited early:\n${logs}`);
      return logs.includes('clerk-sync worker started');
    },
    { timeoutMs: 20_000, what: 'clerk-sync worker to start' },
  );
  return { child, logs: () => logs, exited };
}
