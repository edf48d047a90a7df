import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { onFileEnd, waitFor } from './env.js';
import { freePort } from './pg-cluster.js';

/** Debian's PgBouncer (apt-get install pgbouncer). */
export const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** postgres://postgres@127.0.0.1:<port>/<database>, the plain URL a provider would give. */
  url(database: string): string;
  /** Its log, for a failing test's message. */
  log(): string;
}

/**
 * A real PgBouncer in transaction mode in front of `server` (host:port), started on a free port
 * and stopped when the test file ends. Every database of the server is reachable through it.
 * It refuses to run as root, so under root it runs as `postgres`. `ignoreStartupParameters`:
 * the startup parameters it lets through instead of refusing the connection (a pooler that
 * does so gives itself away later, by a named statement gone missing).
 */
export async function startPgBouncer(server: { host: string; port: number }, options: { ignoreStartupParameters?: string[] } = {}): Promise<PgBouncer> {
  if (!existsSync(PGBOUNCER)) throw new Error(`these tests need PgBouncer at ${PGBOUNCER}: apt-get install pgbouncer`);
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-pgbouncer-'));
  chmodSync(dir, 0o755);
  const root = process.getuid?.() === 0;
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const logFile = join(dir, 'pgbouncer.log');
  const pidFile = join(dir, 'pgbouncer.pid');
  writeFileSync(ini, [
    '[databases]',
    `* = host=${server.host} port=${server.port} user=postgres`,
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
    ...(options.ignoreStartupParameters?.length ? [`ignore_startup_parameters = ${options.ignoreStartupParameters.join(',')}`] : []),
    '',
  ].join('\n'));
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(ini, uid, gid);
  }
  const args = ['-d', ini];
  execFileSync(root ? 'runuser' : PGBOUNCER, root ? ['-u', 'postgres', '--', PGBOUNCER, ...args] : args, { stdio: 'pipe', timeout: 30_000 });
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  onFileEnd(() => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  await waitFor(async () => {
    const c = new pg.Client({ connectionString: url('postgres') });
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  }, { timeoutMs: 10_000, what: `PgBouncer to listen on port ${port}:\n${log()}` });
  return { url, log };
}
