import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onFileEnd } from './env.js';

const BIN = '/usr/lib/postgresql/15/bin';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A private PostgreSQL cluster on a free port that a test can stop and start at will (the shared
 * server on 5432 stays up). initdb and pg_ctl refuse to run as root, so they run as `postgres`.
 */
export async function privateCluster(): Promise<{ url: string; stop(): void; start(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => {
    const uid = process.getuid?.() === 0;
    execFileSync(uid ? 'runuser' : join(BIN, cmd), uid ? ['-u', 'postgres', '--', join(BIN, cmd), ...args] : args, { stdio: 'pipe', timeout: 60_000 });
  };
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () => asPostgres('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = () => asPostgres('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
  start();
  onFileEnd(() => {
    try {
      stop();
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop, start };
}
