import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { runCli } from './support/cli.js';
import { newSecret, tempDir } from './support/env.js';

const dir = tempDir();
let n = 0;
function capture(headers: Record<string, string> | string, body: string | Buffer): { headers: string; body: string } {
  n++;
  const h = join(dir, `h${n}`);
  const b = join(dir, `b${n}`);
  writeFileSync(h, typeof headers === 'string' ? headers : JSON.stringify(headers));
  writeFileSync(b, body);
  return { headers: h, body: b };
}

const verify = (secret: string, files: { headers: string; body: string }, ...extra: string[]) =>
  runCli(['verify', '--secret', secret, '--headers', files.headers, '--body', files.body, ...extra]);

describe('clerk-sync verify', () => {
  const secret = newSecret();
  const body = JSON.stringify(eventFixture('user.created'));

  it('exit 0 for a fresh, correctly signed delivery (JSON headers)', async () => {
    const signed = signWebhook(body, secret);
    const r = await verify(secret, capture(signed.headers, body));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Verifies: the signature matches/m);
  });

  it('reads raw "Name: value" lines, as copied from curl -v, with other headers around', async () => {
    const signed = signWebhook(body, secret);
    const lines = `> POST /api/webhooks HTTP/1.1\n> Host: example.com\n> Svix-Id: ${signed.id}\n> Svix-Timestamp: ${signed.timestamp}\n> Svix-Signature: ${signed.signature}\n> Content-Type: application/json\n`;
    const r = await verify(secret, capture(lines, body));
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('names the missing header (exit 1)', async () => {
    const signed = signWebhook(body, secret);
    const r = await verify(secret, capture({ 'svix-id': signed.id, 'svix-signature': signed.signature }, body));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Missing header svix-timestamp/);
  });

  it('a right signature with an old timestamp: exit 3, by how much, and --at judges it as of receipt', async () => {
    const ts = Math.floor(Date.now() / 1000) - 3 * 3600;
    const signed = signWebhook(body, secret, { timestamp: ts });
    const files = capture(signed.headers, body);
    const r = await verify(secret, files);
    assert.equal(r.code, 3, r.stdout);
    assert.match(r.stdout, /outside the 300 s tolerance by 2\.9 h/);
    assert.match(r.stdout, /signature: matches/);
    assert.match(r.stdout, /The signature is right, but the timestamp is 3\.0 h old/);
    const at = await verify(secret, files, '--at', String(ts + 10));
    assert.equal(at.code, 0, at.stdout);
  });

  it('a pretty-printed body: says it was re-serialized, because its compact form verifies', async () => {
    const signed = signWebhook(body, secret);
    const r = await verify(secret, capture(signed.headers, JSON.stringify(JSON.parse(body), null, 2)));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /matches it in compact JSON form: the body was parsed and re-serialized/);
    assert.match(r.stdout, /The body was changed after it was signed/);
  });

  it('a trailing newline added when saving: says so', async () => {
    const signed = signWebhook(body, secret);
    const r = await verify(secret, capture(signed.headers, `${body}\n`));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /without the trailing newline/);
  });

  it('a body re-serialized beyond repair (keys reordered and indented) vs a wrong secret', async () => {
    const signed = signWebhook(body, secret);
    const parsed = JSON.parse(body);
    const reordered = JSON.stringify({ type: parsed.type, data: parsed.data, object: parsed.object, timestamp: parsed.timestamp }, null, 1);
    const r = await verify(secret, capture(signed.headers, reordered));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /it looks re-serialized/);

    const wrong = await verify(newSecret(), capture(signed.headers, body));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /nothing suggests it was re-serialized/);
    assert.match(wrong.stdout, /most likely the secret is wrong/);
  });

  it('secret rotation: says which secret matched', async () => {
    const old = newSecret();
    const signed = signWebhook(body, secret);
    const r = await verify(`${old} ${secret}`, capture(signed.headers, body), '--json');
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true);
    assert.ok(out.findings.some((f: { message: string }) => /matches secret #2/.test(f.message)));
  });

  it('the wrong kind of secret, or a malformed one: exit 2 with what it is', async () => {
    const signed = signWebhook(body, secret);
    const files = capture(signed.headers, body);
    const sk = await verify('sk_test_abcdefghijklmnop', files);
    assert.equal(sk.code, 2);
    assert.match(sk.stdout, /Clerk Secret Key \(sk_\.\.\.\), used for the Backend API, not the webhook signing secret/);
    const bad = await verify('whsec_!!!', files);
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /not valid base64/);
  });

  it('unreadable files are usage errors (exit 2)', async () => {
    const r = await runCli(['verify', '--secret', secret, '--headers', join(dir, 'nope'), '--body', join(dir, 'nope')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read the headers file/);
  });
});
