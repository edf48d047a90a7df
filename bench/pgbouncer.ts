/**
 * A PgBouncer in transaction mode in front of the benchmark's PostgreSQL server, for as long as
 * one benchmark runs: the pooler Supabase, Neon and most hosts put in front of their databases.
 * (test/support/pgbouncer.ts does the same for the tests; bench/ keeps its own.)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BENCH_PG_URL } from './pg.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** Its process id, to read its CPU time from /proc. */
  pid: number;
  /** The same database as `directUrl`, reached through the pooler: a plain URL, as a provider gives it. */
  pooled(directUrl: string): string;
}

/**
 * Runs `fn` with a PgBouncer (pool_mode = transaction, 20 server connections per database) on
 * a free port, then stops it and removes its directory. PgBouncer refuses to run as root, so
 * under root it runs as `postgres`, in a directory that user owns.
 */
export async function withPgBouncer<T>(fn: (bouncer: PgBouncer) => Promise<T>): Promise<T> {
  if (!existsSync(PGBOUNCER)) throw new Error(`the pooled benchmarks need PgBouncer at ${PGBOUNCER}: apt-get install pgbouncer`);
  const server = new URL(BENCH_PG_URL);
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const logFile = join(dir, 'pgbouncer.log');
  const pidFile = join(dir, 'pgbouncer.pid');
  writeFileSync(ini, [
    '[databases]',
    `* = host=${server.hostname} port=${server.port || 5432} user=${server.username || 'postgres'}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    'auth_type = any',
    'pool_mode = transaction',
    'max_client_conn = 1000',
    'default_pool_size = 20',
    `logfile = ${logFile}`,
    `pidfile = ${pidFile}`,
    '',
  ].join('\n'));
  const root = process.getuid?.() === 0;
  if (root) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
    chownSync(dir, id('-u'), id('-g'));
    chownSync(ini, id('-u'), id('-g'));
  }
  let pid: number | null = null;
  try {
    execFileSync(root ? 'runuser' : PGBOUNCER, [...(root ? ['-u', 'postgres', '--', PGBOUNCER] : []), '-d', ini], { stdio: 'pipe', timeout: 30_000 });
    pid = await listening(port, pidFile, () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''));
    const pooled = (directUrl: string) => {
      const u = new URL(directUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    };
    return await fn({ pid, pooled });
  } finally {
    if (pid !== null) await stop(pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until PgBouncer answers a query on `port`; returns its pid (from its pidfile). */
async function listening(port: number, pidFile: string, log: () => string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    try {
      await client.connect();
      await client.query('select 1');
      return Number(readFileSync(pidFile, 'utf8').trim());
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`PgBouncer did not listen on port ${port}: ${(error as Error).message}\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** SIGTERM, then waits for the process to be gone, so the next one's port and directory are free. */
async function stop(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
