/**
 * A new user's install, the way they do it, from outside this checkout:
 *
 * 1. a fresh clone (`git clone` of this checkout's HEAD: what is committed, nothing beside it),
 *    `npm ci` in it (which builds through `prepare`), then the README's quick start: its first
 *    command, `npx clerk-sync serve --secret ...`, a `npx clerk-sync trigger user.created ...
 *    --set data.first_name=Ada` at it, and the row read back from `clerk_users`;
 * 2. the package as npm would publish it: `npm pack` of that clone, installed with
 *    `npm install <tarball>` into an app of its own, whose `npx clerk-sync --help` lists the
 *    commands and whose script imports `clerk-sync/node`, serves on loopback with a SQLite file
 *    and stores a delivery it signed with `clerk-sync/verify`.
 *
 * Time: about 30 s on 2 cores, most of it `npm ci`. npm 11 runs `prepare` again on the first
 * `npx clerk-sync` in the clone, which finds the build current and skips it (scripts/prepare.mjs).
 * Neither install compiles better-sqlite3 (80 s): both install with
 * --ignore-scripts and take the binary this checkout compiled when the version is the same
 * (otherwise `npm rebuild better-sqlite3` compiles it there). CI's own `npm ci` of a fresh clone
 * compiles it every run.
 */
import assert from 'node:assert/strict';
import { execFile as execFileCb, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/store/database.js';
import { onFileEnd, tempDir, waitFor } from './support/env.js';

const execFile = promisify(execFileCb);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Serializes npm installs with the other tests that run npm (test/examples.test.ts). */
const NPM_LOCK = '/tmp/clerk-sync-npm.lock';

const betterSqliteVersion = (dir: string) => JSON.parse(readFileSync(join(dir, 'node_modules/better-sqlite3/package.json'), 'utf8')).version as string;

/** The environment of a user's shell: nothing of clerk-sync's configuration, no test loader. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(CLERK_|DATABASE_URL$|DIRECT_URL$|PORT$|HOST$|LOG_LEVEL$|NODE_OPTIONS$|npm_)/.test(key)) delete env[key];
  }
  return env;
}

interface Run {
  stdout: string;
  stderr: string;
}

async function run(cwd: string, command: string, args: string[], timeoutMs: number): Promise<Run> {
  try {
    return await execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: userEnv() });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

const npm = (cwd: string, args: string[], timeoutMs: number) => run(cwd, 'flock', [NPM_LOCK, 'npm', ...args], timeoutMs);

/** A long-running command in its own process group (npx forks node), killed with its group at the end. */
async function startListening(cwd: string, command: string, args: string[], timeoutMs: number): Promise<{ url: string; logs(): string; stop(): Promise<string> }> {
  const child = spawn(command, args, { cwd, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  let exited = false;
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => ((exited = true), r(code))));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {}
  };
  onFileEnd(() => {
    if (!exited) kill('SIGKILL');
  });
  const url = await waitFor(
    () => {
      if (exited) throw new Error(`${command} ${args.join(' ')} exited early:\n${logs}`);
      return /"url":"(http:[^"]+)"/.exec(logs)?.[1];
    },
    { timeoutMs, what: `${command} ${args.join(' ')} to listen` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; its output:\n${logs}`);
  });
  return {
    url,
    logs: () => logs,
    /** SIGTERM to the group, as a terminal's Ctrl-C reaches npx and the server alike; resolves once every process of it has exited. */
    stop: async () => {
      kill('SIGTERM');
      await exit;
      await waitFor(() => {
        try {
          process.kill(-child.pid!, 0);
          return false;
        } catch {
          return true;
        }
      }, { timeoutMs: 15_000, intervalMs: 50, what: `${command} ${args.join(' ')} to exit` });
      return logs;
    },
  };
}

/** The shell commands of `dir`'s README's fenced `sh` blocks under `heading`, continuation lines joined, comments dropped. */
function readmeCommands(dir: string, heading: string): string[][] {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n## ${heading}\n`));
  assert.ok(section.length < readme.length, `README has a "${heading}" section`);
  const blocks = [...section.slice(0, section.indexOf('\n## ', 4) === -1 ? undefined : section.indexOf('\n## ', 4)).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.map((block) => block.replace(/\\\n\s*/g, '').split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()).filter(Boolean));
}

const words = (command: string) => command.split(/\s+/);

describe('a new user installs clerk-sync', { timeout: 600_000 }, () => {
  const work = tempDir();
  const clone = join(work, 'clerk-sync');
  let tarball = '';

  it('a fresh clone: npm ci, then the README quick start serves, a triggered user.created lands in clerk_users', async () => {
    await run(ROOT, 'git', ['clone', '--quiet', ROOT, clone], 60_000);
    assert.ok(!existsSync(join(clone, 'node_modules')) && !existsSync(join(clone, 'dist')), 'a clone has no install and no build');

    const [quickStart, tryIt] = readmeCommands(clone, 'Quick start');
    const [install, serve] = quickStart![0]!.split('&&').map((s) => s.trim());
    assert.equal(install, 'npm ci', 'the README installs with npm ci');
    assert.match(serve!, /^npx clerk-sync serve --secret whsec_\S+$/);

    // `npm ci` as the README says, but with the install scripts run one by one: better-sqlite3's
    // compile (80 s of this file's time) is replaced by the binary this checkout compiled when it
    // is the same release. CI itself runs a plain `npm ci` on a fresh clone (.ci/run) every time.
    const ci = await npm(clone, ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], 360_000);
    assert.doesNotMatch(ci.stderr, /EBADENGINE/, 'every installed package supports this Node version');
    const sqliteBinary = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    if (existsSync(join(ROOT, sqliteBinary)) && betterSqliteVersion(ROOT) === betterSqliteVersion(clone)) {
      mkdirSync(join(clone, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
      copyFileSync(join(ROOT, sqliteBinary), join(clone, sqliteBinary));
    } else {
      await npm(clone, ['rebuild', 'better-sqlite3'], 240_000);
    }
    await npm(clone, ['rebuild', 'esbuild'], 60_000);
    await npm(clone, ['run', 'prepare'], 120_000);
    assert.ok(existsSync(join(clone, 'dist/cli/main.js')), 'prepare built the package');

    // npm 11 runs a project's own bin by installing the project into its npx cache, which runs
    // `prepare` once more; it finds dist/ current and does not rebuild it under the server.
    const [npx, ...serveArgs] = words(serve!);
    const npxCache = join((await run(clone, 'npm', ['config', 'get', 'cache'], 30_000)).stdout.trim(), '_npx', createHash('sha512').update(clone).digest('hex').slice(0, 16));
    onFileEnd(() => rmSync(npxCache, { recursive: true, force: true }));
    const server = await startListening(clone, npx!, [...serveArgs, '--host', '127.0.0.1', '--port', '0'], 180_000);
    try {
      const triggerLine = tryIt!.find((c) => c.startsWith('npx clerk-sync trigger user.created'));
      assert.ok(triggerLine, 'the README triggers a user.created');
      const [tnpx, ...triggerArgs] = words(triggerLine.replace(/--url \S+/, `--url ${server.url}`));
      const triggered = await run(clone, tnpx!, triggerArgs, 60_000);
      const [svixId, type, status] = triggered.stdout.trim().split(/\s+/);
      assert.equal(type, 'user.created', triggered.stdout);
      assert.equal(status, '200', triggered.stdout);

      const database = await openDatabase(join(clone, 'clerk-sync.db'));
      try {
        const user = await waitFor(
          () => database.db.selectFrom('clerk_users').select(['id', 'first_name']).where('first_name', '=', 'Ada').executeTakeFirst(),
          { timeoutMs: 20_000, what: `the user of ${svixId} in clerk_users` },
        );
        assert.match(user.id, /^user_/);
      } finally {
        await database.close();
      }
      const listed = await run(clone, 'npx', ['clerk-sync', 'events', 'list'], 60_000);
      assert.match(listed.stdout, new RegExp(`${svixId}.*user\\.created.*done|done.*user\\.created.*${svixId}`), listed.stdout);
    } finally {
      const logs = await server.stop();
      assert.match(logs, /"msg":"shutting down/, 'serve shuts down on SIGTERM');
      assert.doesNotMatch(logs, /"level":"error"/, logs);
    }
  });

  it('npm pack of that clone ships the build, README, LICENSE and package.json: no sources, tests or maps', async () => {
    assert.ok(existsSync(join(clone, 'dist/cli/main.js')), 'the clone was installed and built by the test before');
    const packed = await run(clone, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], 60_000);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(work, info!.filename);
    const paths = info!.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/adapters/node/index.js', 'dist/verify/index.js', 'dist/vendor/kysely.js', 'dist/admin/dashboard/static/app.js']) {
      assert.ok(paths.includes(needed), `the package ships ${needed}`);
    }
    const unwanted = paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(p));
    assert.deepEqual(unwanted, [], 'only dist/, README.md, LICENSE and package.json');
    assert.deepEqual(paths.filter((p) => p.endsWith('.map') || /(^|\/)test\//.test(p) || /\.test\./.test(p)), [], 'no source maps, no tests');
    const pkg = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8'));
    assert.equal(pkg.repository?.url, 'git+https://github.com/clerk-sync/clerk-sync.git');
    assert.ok(pkg.homepage && pkg.bugs?.url && pkg.keywords?.length, 'homepage, bugs and keywords for the registry page');
  });

  it('an app installs the tarball: npx clerk-sync --help, and clerk-sync/node stores a signed delivery in SQLite', async () => {
    assert.ok(tarball, 'packed by the test before');
    const app = join(work, 'my-app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    await npm(app, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], 240_000);
    const installed = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    assert.match(installed.dependencies['clerk-sync'], /clerk-sync-0\.1\.0\.tgz$/);

    // better-sqlite3's native module: the one the clone compiled, if it is the same release.
    const binary = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    if (betterSqliteVersion(app) === betterSqliteVersion(clone) && existsSync(join(clone, binary))) {
      mkdirSync(join(app, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
      copyFileSync(join(clone, binary), join(app, binary));
    } else {
      await npm(app, ['rebuild', 'better-sqlite3'], 240_000);
    }

    const help = await run(app, 'npx', ['clerk-sync', '--help'], 60_000);
    for (const command of ['serve', 'worker', 'migrate', 'trigger', 'events', 'replay', 'doctor', 'verify', 'backfill']) {
      assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `--help lists ${command}`);
    }

    writeFileSync(join(app, 'receive.mjs'), APP_SCRIPT);
    const result = await run(app, process.execPath, ['receive.mjs'], 60_000);
    const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { status: number; body: unknown; row: { svix_id: string; type: string; status: string } | undefined; sent: string; user: unknown };
    assert.equal(out.status, 200, result.stdout + result.stderr);
    assert.deepEqual(out.body, { received: true });
    assert.equal(out.row?.svix_id, out.sent, 'the delivery is in the inbox table');
    assert.equal(out.row?.type, 'user.created');
    assert.equal(out.row?.status, 'done', 'and applied');
    assert.ok(out.user, 'the user is in clerk_users');
  });
});

/** What a user writes: the node:http adapter on loopback, a SQLite file, a delivery signed with the package's own signer. */
const APP_SCRIPT = `
import { createServer } from 'node:http';
import { createClerkSync } from 'clerk-sync';
import { nodeWebhookHandler } from 'clerk-sync/node';
import { signWebhook } from 'clerk-sync/verify';
import { eventFixture } from 'clerk-sync/fixtures';
import Database from 'better-sqlite3';

const secret = 'whsec_' + Buffer.from('a new user of clerk-sync, 32 bytes').toString('base64');
const sync = await createClerkSync({ secret, database: './app.db' });
await sync.start();
const webhook = nodeWebhookHandler(sync);
const server = createServer((req, res) => (req.url === '/api/webhooks' ? webhook(req, res) : res.writeHead(404).end()));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const event = eventFixture('user.created');
const body = JSON.stringify(event);
const signed = signWebhook(body, secret);
const res = await fetch('http://127.0.0.1:' + server.address().port + '/api/webhooks', { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body });
const answer = await res.json();

const db = new Database('./app.db', { readonly: true });
let row, user;
for (let i = 0; i < 200; i++) {
  row = db.prepare('select svix_id, type, status from clerk_webhook_events where svix_id = ?').get(signed.id);
  user = db.prepare('select id from clerk_users where id = ?').get(event.data.id);
  if (row?.status === 'done' && user) break;
  await new Promise((r) => setTimeout(r, 50));
}
db.close();
await new Promise((resolve) => server.close(resolve));
await sync.stop();
console.log(JSON.stringify({ status: res.status, body: answer, row, user, sent: signed.id }));
`;
