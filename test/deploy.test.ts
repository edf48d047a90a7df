/**
 * What docs/deploy.md promises about running clerk-sync for real:
 * - `clerk-sync backup` copies the SQLite database while a real `serve` keeps receiving, and the
 *   copy is sound and holds every event answered before the backup started; it refuses what it
 *   cannot do (PostgreSQL, a missing database, an existing file) with exit 2 and one line;
 * - deploy/clerk-sync.service passes `systemd-analyze verify` and `security`;
 * - the Dockerfile's build stage, run step by step on a copy of the build context (no container
 *   daemon runs here), builds a runtime that starts with the image's ENV and CMD and passes the
 *   image's HEALTHCHECK; with a running daemon, `docker build` too.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { parse as parseYaml } from 'yaml';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { runCli, startServe } from './support/cli.js';
import { newSecret, onFileEnd, tempDir, waitFor } from './support/env.js';
import { freePort } from './support/pg-cluster.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const run = promisify(execFile);

/** Posts one signed user.created carrying `padding` bytes of metadata; resolves with its svix-id when answered 2xx. */
async function deliver(url: string, secret: string, padding = 0): Promise<string | null> {
  const event = eventFixture('user.created');
  if (padding > 0) (event.data as { public_metadata: unknown }).public_metadata = { notes: randomBytes(padding / 2).toString('hex') };
  const body = JSON.stringify(event);
  const signed = signWebhook(body, secret);
  const res = await fetch(url, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  return res.status >= 200 && res.status < 300 ? signed.id : null;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  return lines[0]!;
}

describe('clerk-sync backup (SQLite online backup)', () => {
  it('copies the database while serve receives: the copy is sound and holds every event answered before it started', { timeout: 90_000 }, async (t) => {
    const secret = newSecret();
    const dir = tempDir();
    const db = join(dir, 'clerk-sync.db');
    const serve = await startServe(['--db', db], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    try {
      // About 30 MiB to copy, so the copy takes many steps while commits land between them.
      const answered: string[] = [];
      for (let i = 0; i < 25; i++) {
        const ids = await Promise.all(Array.from({ length: 40 }, () => deliver(serve.url, secret, 12_000)));
        for (const id of ids) if (id) answered.push(id);
      }
      assert.equal(answered.length, 1000, 'every preload delivery answered 2xx');

      let sending = true;
      let duringBackup = 0;
      let backupRunning = false;
      const senders = Array.from({ length: 4 }, async () => {
        while (sending) {
          const id = await deliver(serve.url, secret, 4_000);
          assert.ok(id, 'serve answers 2xx while the backup runs');
          answered.push(id);
          if (backupRunning) duringBackup++;
        }
      });
      await waitFor(() => answered.length >= 1100, { what: 'concurrent deliveries under way' });

      const before = new Set(answered);
      const dest = join(dir, 'backup.db');
      backupRunning = true;
      const started = performance.now();
      const r = await runCli(['backup', dest, '--db', db], {}, 60_000);
      const ms = Math.round(performance.now() - started);
      backupRunning = false;
      sending = false;
      await Promise.all(senders);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^backed up .*clerk-sync\.db to .*backup\.db: \d+ pages \([\d.]+ MiB\), quick_check ok, \d+ ms/);
      t.diagnostic(`${r.stdout.trim()} (${ms} ms with the CLI's start; ${duringBackup} events answered meanwhile)`);
      assert.ok(duringBackup > 0, 'serve kept receiving while the backup ran');
      assert.match(r.stderr, /^backup .*pages/m, 'progress on stderr for a big file (plain lines when not on a terminal)');

      assert.equal(existsSync(`${dest}-wal`), false, 'the backup is one file, no -wal beside it');
      assert.deepEqual(readdirPartial(dir), [], 'no partial file left');
      const copy = new BetterSqlite3(dest, { readonly: true, fileMustExist: true });
      try {
        assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
        assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete');
        const inCopy = new Set((copy.prepare('select svix_id from clerk_webhook_events').pluck().all() as string[]));
        const missing = [...before].filter((id) => !inCopy.has(id));
        assert.deepEqual(missing, [], `every event answered before the backup started is in it (${before.size} of them; the copy has ${inCopy.size})`);
        assert.ok(inCopy.size <= answered.length);
      } finally {
        copy.close();
      }
      assert.equal(statSync(dest).mode & 0o777, statSync(db).mode & 0o777, 'the copy is no more readable than the database');

      // clerk-sync itself reads the copy.
      const show = await runCli(['events', 'show', [...before][0]!, '--db', dest]);
      assert.equal(show.code, 0, show.stderr);
    } finally {
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0);
    }
  });

  it('refuses a PostgreSQL URL (use pg_dump), :memory:, a missing database and an existing file, with exit 2 and one line', async () => {
    const dir = tempDir();
    const dest = join(dir, 'out.db');

    const typo = join(dir, 'typo.db');
    // Independent refusals, run side by side (each is a CLI start).
    const [pgFlag, pgEnv, memory, missing, noDir] = await Promise.all([
      runCli(['backup', dest, '--db', 'postgresql://clerk_sync:pw@db.internal/app']),
      runCli(['backup', dest], { DATABASE_URL: 'postgres://clerk_sync@127.0.0.1:5432/app' }),
      runCli(['backup', dest, '--db', ':memory:']),
      runCli(['backup', dest, '--db', typo]),
      runCli(['backup', join(dir, 'nope', 'out.db'), '--db', typo]),
    ]);
    for (const pgUrl of [pgFlag, pgEnv]) {
      assert.equal(pgUrl.code, 2, pgUrl.stderr);
      assert.match(oneLine(pgUrl.stderr), /^clerk-sync: backup copies a SQLite database; .*PostgreSQL URL: use pg_dump/);
    }
    assert.equal(memory.code, 2);
    assert.match(oneLine(memory.stderr), /:memory:.*nothing on disk to back up/);
    assert.equal(missing.code, 2);
    assert.match(oneLine(missing.stderr), new RegExp(`there is no database at ${typo.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: check --db`));
    assert.equal(existsSync(typo), false, 'the missing database is not created');
    assert.equal(existsSync(dest), false, 'nothing written');
    assert.equal(noDir.code, 2);
    assert.match(oneLine(noDir.stderr), /the directory .*nope does not exist/);

    const db = join(dir, 'app.db');
    assert.equal((await runCli(['migrate', '--db', db])).code, 0);
    writeFileSync(dest, 'an older backup, kept');
    const [exists, itself] = await Promise.all([runCli(['backup', dest, '--db', db]), runCli(['backup', db, '--db', db, '--force'])]);
    assert.equal(exists.code, 2);
    assert.match(oneLine(exists.stderr), /out\.db already exists: pass --force to replace it, or give another file/);
    assert.equal(readFileSync(dest, 'utf8'), 'an older backup, kept');
    assert.equal(itself.code, 2);
    assert.match(oneLine(itself.stderr), /is the database itself/);

    // An older backup's -wal must not be replayed onto the new copy.
    writeFileSync(`${dest}-wal`, randomBytes(4096));
    const forced = await runCli(['backup', dest, '--db', db, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(existsSync(`${dest}-wal`), false);
    const copy = new BetterSqlite3(dest, { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      assert.ok((copy.prepare('select count(*) from clerk_sync_migrations').pluck().get() as number) > 0);
    } finally {
      copy.close();
    }
  });
});

function readdirPartial(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.partial-'));
}

/** `key=value` lines of a systemd unit (the last of a key wins for single-valued keys). */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  return settings;
}

describe('deploy/clerk-sync.service', () => {
  const unit = readFileSync(join(ROOT, 'deploy/clerk-sync.service'), 'utf8');
  const settings = unitSettings(unit);
  const one = (key: string) => settings.get(key)?.at(-1);

  it('passes systemd-analyze verify, with no warning', () => {
    const analyze = '/usr/bin/systemd-analyze';
    assert.ok(existsSync(analyze), `${analyze} is missing: install the package systemd (apt-get install systemd)`);
    // verify checks that ExecStart's program exists: point it at a stand-in with the same arguments.
    const dir = tempDir();
    const stand = join(dir, 'node');
    writeFileSync(stand, '#!/bin/sh\nexit 0\n');
    chmodSync(stand, 0o755);
    const [program, ...args] = one('ExecStart')!.split(/\s+/);
    assert.equal(program, '/usr/bin/node', 'ExecStart runs node');
    const copy = join(dir, 'clerk-sync.service');
    writeFileSync(copy, unit.replace(/^ExecStart=\S+/m, `ExecStart=${stand}`));
    assert.deepEqual(args, ['/opt/clerk-sync/dist/cli/main.js', 'serve']);
    const r = spawnSync(analyze, ['verify', copy], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim() + r.stdout.trim(), '', 'no warning (unknown keys, bad values, wrong sections)');

    const security = spawnSync(analyze, ['security', '--offline=true', '--threshold=25', copy], { encoding: 'utf8' });
    const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1];
    assert.equal(security.status, 0, `systemd-analyze security: exposure ${exposure} above 2.5\n${security.stdout.slice(-2000)}`);
  });

  it('runs as its own user, restarts on failure, and can write its state directory only', () => {
    assert.equal(one('User'), 'clerk-sync');
    assert.equal(one('Restart'), 'on-failure');
    assert.ok(one('EnvironmentFile'), 'secrets come from an EnvironmentFile');
    assert.ok(!/whsec_[A-Za-z0-9+/]{20}/.test(unit), 'no secret in the unit');
    for (const [key, value] of Object.entries({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', PrivateTmp: 'yes', ProtectHome: 'yes', StateDirectory: 'clerk-sync', ReadWritePaths: '/var/lib/clerk-sync' })) {
      assert.equal(one(key), value, key);
    }
    assert.ok(settings.get('Environment')!.includes('DATABASE_URL=/var/lib/clerk-sync/clerk-sync.db'), 'SQLite by default, inside the state directory');
    assert.equal(one('MemoryDenyWriteExecute'), undefined, "MemoryDenyWriteExecute would stop V8's JIT");
    const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.ok(one('ExecStart')!.includes(bin['clerk-sync']!.replace(/^\.\//, '')), "ExecStart runs the package's bin");
  });
});

// ---------------------------------------------------------------------------------------------
// The Dockerfile

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | null;
  body: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ');
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full) logical.push(full);
  }
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s+(.*)$/s.exec(l);
    assert.ok(m, `Dockerfile line: ${l}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from: f[1]!, name: f[2] ?? null, body: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before FROM`);
      stages.at(-1)!.body.push({ op, args });
    }
  }
  return stages;
}

/** `--from=build a b ./c` or `["a", "./c"]`: flags, sources, destination. */
function copyArgs(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    flags[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return { flags, sources: parts.slice(0, -1), dest: parts.at(-1)! };
}

/** `ENV A=1 B=2` (the `ENV A 1` form too). */
function envArgs(args: string): Record<string, string> {
  if (!args.includes('=')) {
    const [k, ...v] = args.split(/\s+/);
    return { [k!]: v.join(' ') };
  }
  return Object.fromEntries([...args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map((m) => [m[1]!, m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]!]));
}

/** Docker's .dockerignore rules: last match wins, `!` re-includes, `**` spans directories, a directory rule covers its contents. */
function dockerIgnore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === '*' && pattern[i + 1] === '*') {
          re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += pattern[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(path)) ignored = !r.negate;
    return ignored;
  };
}

describe('Dockerfile', () => {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = stages.at(-1)!;
  const last = (stage: Stage, op: string) => stage.body.filter((i) => i.op === op).at(-1)?.args;

  it('promises: multi-stage, node:20-bookworm-slim, not root, /data volume, port 8080, a health check, serve', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    assert.equal(runtime.from, 'node:20-bookworm-slim');
    const user = last(runtime, 'USER');
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root USER, got ${user}`);
    assert.match(last(runtime, 'VOLUME') ?? '', /^(\["\/data"\]|\/data)$/);
    assert.equal(last(runtime, 'EXPOSE'), '8080');
    assert.equal(Object.assign({}, ...runtime.body.filter((i) => i.op === 'ENV').map((i) => envArgs(i.args))).DATABASE_URL, '/data/clerk-sync.db');
    assert.match(last(runtime, 'HEALTHCHECK') ?? '', /CMD \["node", "-e", .*\/healthz/);
    assert.deepEqual(JSON.parse(last(runtime, 'CMD')!), ['node', 'dist/cli/main.js', 'serve']);
    assert.ok(runtime.body.every((i) => i.op !== 'RUN' || !/npm (ci|install)|apt-get install.*(g\+\+|make)/.test(i.args)), 'no compiler or install in the runtime stage');
    const build = stages.find((s) => s.name !== null && runtime.body.some((i) => i.op === 'COPY' && copyArgs(i.args).flags.from === s.name));
    assert.ok(build, 'the runtime copies from a named build stage');
    assert.match(build.body.map((i) => i.args).join('\n'), /apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
  });

  it('its build stage, run step by step on a copy of the build context, makes a runtime that starts and passes the HEALTHCHECK', { timeout: 240_000 }, async (t) => {
    const work = tempDir();
    // The build context: what `docker build .` sends (files not git-ignored), less .dockerignore.
    const ignored = dockerIgnore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    const context = join(work, 'context');
    let sent = 0;
    for (const file of new Set(stdout.split('\0').filter(Boolean))) {
      if (ignored(file) || !existsSync(join(ROOT, file))) continue;
      mkdirSync(dirname(join(context, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(context, file));
      sent++;
    }
    assert.equal(existsSync(join(context, 'node_modules')) || existsSync(join(context, 'dist')), false, 'node_modules and dist stay out of the context');
    t.diagnostic(`build context: ${sent} files`);

    const stageDirs = new Map<string, { dir: string; workdir: string }>();
    const npmEnv = { ...process.env, NODE_OPTIONS: undefined, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_offline: 'true' };
    for (const [index, stage] of stages.entries()) {
      const dir = join(work, `stage-${index}`);
      mkdirSync(dir);
      // The stage's directory stands for its WORKDIR (one per stage here).
      let workdir = '/';
      const here = (p: string) => {
        if (!p.startsWith('/')) return join(dir, p);
        assert.ok(p === workdir || p.startsWith(`${workdir}/`), `${p}: outside the WORKDIR ${workdir}`);
        return join(dir, p.slice(workdir.length));
      };
      const env: Record<string, string> = {};
      const isRuntime = stage === runtime;
      for (const { op, args } of stage.body) {
        if (op === 'WORKDIR') {
          assert.ok(workdir === '/' || workdir === args, 'one WORKDIR per stage');
          workdir = args;
        } else if (op === 'ENV' || op === 'ARG') {
          Object.assign(env, envArgs(args));
        } else if (op === 'COPY') {
          const { flags, sources, dest } = copyArgs(args);
          for (const source of sources) {
            let from: string;
            if (flags.from) {
              const origin = stageDirs.get(flags.from);
              assert.ok(origin, `COPY --from=${flags.from}: no such stage`);
              assert.ok(source.startsWith(`${origin.workdir}/`), `COPY --from=${flags.from} ${source}: outside that stage's WORKDIR ${origin.workdir}`);
              from = join(origin.dir, source.slice(origin.workdir.length + 1));
            } else {
              from = join(context, source);
            }
            assert.ok(existsSync(from), `COPY ${args}: ${source} is not in the ${flags.from ? `${flags.from} stage` : 'build context (.dockerignore?)'}`);
            const isDir = statSync(from).isDirectory();
            const target = isDir || !(dest.endsWith('/') || dest === '.' || sources.length > 1) ? here(dest) : join(here(dest), basename(source));
            mkdirSync(isDir ? target : dirname(target), { recursive: true });
            cpSync(from, target, { recursive: true, verbatimSymlinks: true });
          }
        } else if (op === 'RUN') {
          const started = performance.now();
          if (/\bapt-get\b/.test(args)) {
            t.diagnostic(`RUN ${args.slice(0, 60)}...: system packages, skipped (this machine has what better-sqlite3 was built with)`);
            continue;
          }
          if (isRuntime) {
            // mkdir/chown of /data: root-owned paths, not made here; the volume is a temp directory below.
            assert.match(args, /^mkdir -p \/data && chown node:node \/data$/, `a RUN in the runtime stage this test does not know: ${args}`);
            continue;
          }
          if (/^npm ci\b/.test(args)) {
            // npm ci would download and compile better-sqlite3 (minutes): the repository's own
            // node_modules is what `npm ci` made from the same lockfile on this machine.
            assert.match(args, /npm rebuild better-sqlite3/, 'with --ignore-scripts, the native driver must be rebuilt');
            await run('cp', ['-a', join(ROOT, 'node_modules'), here('node_modules')]);
            t.diagnostic(`RUN ${args}: node_modules copied instead, ${Math.round(performance.now() - started)} ms`);
            continue;
          }
          await run('sh', ['-c', args], { cwd: here(workdir), env: { ...npmEnv, ...env }, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
            assert.fail(`RUN ${args} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
          });
          t.diagnostic(`RUN ${args}: ${Math.round(performance.now() - started)} ms`);
        }
      }
      stageDirs.set(stage.name ?? String(index), { dir, workdir });
      if (!isRuntime) continue;

      // The runtime: no dev dependencies, the native driver present, the built CLI.
      for (const dev of ['typescript', 'tsx', 'esbuild']) assert.equal(existsSync(join(dir, 'node_modules', dev)), false, `${dev} (a devDependency) is pruned`);
      assert.ok(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')), 'the compiled SQLite driver');
      assert.ok(existsSync(join(dir, 'dist/cli/main.js')));

      // Start it the way the image does: ENV, the VOLUME at a temp directory, CMD; PORT as `-e PORT`.
      const volume = join(work, 'volume');
      mkdirSync(volume);
      const port = await freePort();
      const secret = newSecret();
      const imageEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/^\/data(?=\/|$)/, volume)]));
      const containerEnv = { PATH: process.env.PATH, HOME: work, ...imageEnv, PORT: String(port), HOST: '127.0.0.1', CLERK_WEBHOOK_SIGNING_SECRET: secret };
      const health = JSON.parse(last(stage, 'HEALTHCHECK')!.replace(/^.*?CMD\s+/, '')) as string[];
      assert.equal(health[0], 'node');
      const healthcheck = () => spawnSync(process.execPath, health.slice(1), { cwd: dir, env: containerEnv, encoding: 'utf8', timeout: 10_000 }).status;
      assert.equal(healthcheck(), 1, 'the health check fails while nothing listens');

      const cmd = JSON.parse(last(stage, 'CMD')!) as string[];
      const child = spawn(process.execPath, cmd.slice(1), { cwd: dir, env: containerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      onFileEnd(() => void child.kill('SIGKILL'));
      let logs = '';
      child.stdout.on('data', (d) => (logs += d));
      child.stderr.on('data', (d) => (logs += d));
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      let running = true;
      void exited.then(() => (running = false));
      await waitFor(() => {
        if (!running) throw new Error(`the image's CMD exited:\n${logs}`);
        return healthcheck() === 0;
      }, { timeoutMs: 30_000, intervalMs: 250, what: `the HEALTHCHECK to pass\n${logs}` });

      const id = await deliver(`http://127.0.0.1:${port}/api/webhooks`, secret);
      assert.ok(id, `a signed event is answered 2xx\n${logs}`);
      assert.ok(existsSync(join(volume, 'clerk-sync.db')), 'the database is on the volume');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, logs);
      assert.match(logs, /stopped cleanly/);
    }
  });

  it('docker build, where a container daemon runs', { timeout: 900_000 }, async (t) => {
    const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
    if (info.status !== 0) {
      t.diagnostic(`no container daemon here (${(info.stderr || info.error?.message || '').trim().split('\n')[0]}): the step-by-step build above stands in for docker build`);
      return;
    }
    const tag = `clerk-sync-test:${randomBytes(4).toString('hex')}`;
    const r = spawnSync('docker', ['build', '-t', tag, '.'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr.slice(-4000));
    spawnSync('docker', ['image', 'rm', tag]);
  });
});

describe('compose.yaml', () => {
  it('serve on postgres:15, started once the database is healthy, secrets from the environment', (t) => {
    const compose = parseYaml(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, any> };
    const app = compose.services['clerk-sync'];
    const pg = compose.services.postgres;
    assert.equal(app.build, '.');
    assert.equal(pg.image, 'postgres:15');
    assert.ok(pg.healthcheck?.test, 'postgres has a healthcheck');
    assert.match(JSON.stringify(pg.healthcheck.test), /pg_isready/);
    assert.equal(app.depends_on.postgres.condition, 'service_healthy');
    assert.match(app.environment.DATABASE_URL, /^postgres:\/\/[^:]+:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\//);
    assert.match(app.environment.CLERK_WEBHOOK_SIGNING_SECRET, /^\$\{CLERK_WEBHOOK_SIGNING_SECRET:\?/);
    assert.match(pg.environment.POSTGRES_PASSWORD, /^\$\{POSTGRES_PASSWORD:\?/);
    // `docker compose config` checks it against the compose spec, where the plugin is installed.
    if (spawnSync('docker', ['compose', 'version']).status !== 0) {
      t.diagnostic('no docker compose plugin here: compose.yaml checked as YAML only');
      return;
    }
    const config = spawnSync('docker', ['compose', 'config', '--quiet'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CLERK_WEBHOOK_SIGNING_SECRET: newSecret(), POSTGRES_PASSWORD: 'x' } });
    assert.equal(config.status, 0, config.stderr);
  });
});
