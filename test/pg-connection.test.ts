/**
 * The PostgreSQL URL mistakes people make, each answered with what is wrong and the fix (exit 2,
 * one line, no stack), and TLS to a server with its own CA working as documented in
 * docs/deploy.md: `sslmode` means what it means in libpq and in the providers' URLs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { runCli } from './support/cli.js';
import { describeOn, TEST_PG_URL } from './support/db.js';
import { newSecret, tempDir } from './support/env.js';
import { postgresServerPrograms, privateCluster } from './support/pg-cluster.js';
import { requireForFile, tool } from './support/prerequisites.js';

const PASSWORD = 's3cret#/pw';

function expectConfigError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /SECURITY WARNING|    at /);
}

describeOn('postgres', 'PostgreSQL connection problems name the fix', () => {
  requireForFile('test/pg-connection.test.ts (a private PostgreSQL cluster with a password and TLS)', ...postgresServerPrograms(), tool('openssl', 'apt-get install openssl'));
  let port = 0;
  let certFile = '';
  before(async () => {
    const dir = tempDir();
    certFile = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', certFile], { stdio: 'ignore' });
    port = (await privateCluster({ password: PASSWORD, tls: { certFile, keyFile: join(dir, 'key.pem') } })).port;
  });
  const url = (auth: string, query = '', host = '127.0.0.1') => `postgres://${auth}@${host}:${port}/postgres${query}`;
  const encoded = `postgres:${encodeURIComponent(PASSWORD)}`;

  it('a database that does not exist: create it, with its name', async () => {
    const missing = new URL(TEST_PG_URL);
    missing.pathname = '/clerk_sync_no_such_db';
    expectConfigError(await runCli(['migrate', '--db', missing.href]), /database "clerk_sync_no_such_db" does not exist: create it \(`createdb clerk_sync_no_such_db`/);
  });

  it('no password in the URL where the server asks for one', async () => {
    expectConfigError(await runCli(['migrate', '--db', url('postgres')]), /the server asks for a password and the URL has none: postgres:\/\/USER:PASSWORD@HOST/);
  });

  it('a wrong password', async () => {
    expectConfigError(await runCli(['migrate', '--db', url('postgres:wrong')]), /password authentication failed for user "postgres": check the password in the URL; percent-encode special characters/);
  });

  it('a password with an unencoded # or /: encode it, before anything is tried', async () => {
    expectConfigError(await runCli(['migrate', '--db', url(`postgres:${PASSWORD}`)]), /contains an unencoded "#": percent-encode it as %23/);
    expectConfigError(await runCli(['migrate', '--db', url('postgres:a/b')]), /contains an unencoded "\/": percent-encode it as %2F/);
  });

  it('serve with a wrong password exits 2 at once instead of retrying forever', async () => {
    expectConfigError(await runCli(['serve', '--db', url('postgres:wrong'), '--secret', newSecret(), '--port', '0', '--host', '127.0.0.1', '--log-level', 'error']), /password authentication failed/);
  });

  it('sslmode=require: encrypted as libpq means it, without node-pg\'s warning', async () => {
    const r = await runCli(['migrate', '--db', url(encoded, '?sslmode=require')]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /WARNING/);
    const events = await runCli(['events', 'list', '--db', url(encoded, '?sslmode=require')]);
    assert.equal(events.code, 0, events.stderr);
  });

  it('sslmode=verify-full against a private CA: the fix is sslrootcert, and with it the connection verifies', async () => {
    expectConfigError(await runCli(['migrate', '--db', url(encoded, '?sslmode=verify-full', 'localhost')]), /not signed by a CA this machine trusts: give the provider's CA certificate with sslrootcert=/);
    const r = await runCli(['migrate', '--db', url(encoded, `?sslmode=verify-full&sslrootcert=${encodeURIComponent(certFile)}`, 'localhost')]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('TLS asked of a server without it', async () => {
    const plain = new URL(TEST_PG_URL);
    plain.searchParams.set('sslmode', 'require');
    expectConfigError(await runCli(['migrate', '--db', plain.href]), /this server does not offer it: remove sslmode from the URL/);
  });
});
