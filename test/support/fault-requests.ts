import { createHmac } from 'node:crypto';
import { eventFixture } from '../../src/events/fixtures.js';
import { parseSecrets, signWebhook } from '../../src/verify/index.js';
import type { Rng } from './random.js';

/**
 * Generated malformed webhook requests, one kind at a time. Each says what must come back:
 * `reject` a 4xx with the JSON error body; `reject-or-reset` the same, or the connection reset
 * (a huge body the server stops reading); `head` a bodiless 405; `accept` a 200 (the few that are
 * validly signed Clerk events on purpose).
 */
export interface BadRequest {
  kind: string;
  method: string;
  headers: Record<string, string>;
  /** Sent with transfer-encoding: chunked when `chunked`, else with its content-length. */
  body: Buffer;
  chunked?: boolean;
  expect: 'reject' | 'reject-or-reset' | 'head' | 'accept';
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

export function requestFactory(secret: string, maxBodyBytes: number) {
  const nowSec = () => Math.floor(Date.now() / 1000);
  const [key] = parseSecrets(secret);
  const v1 = (id: string, ts: number | string, body: Buffer) => createHmac('sha256', key!).update(`${id}.${ts}.`).update(body).digest('base64');
  const event = () => utf8(JSON.stringify(eventFixture('user.created')));
  const signed = (body: Buffer, extra: Record<string, string> = {}) => ({ ...signWebhook(body, secret).headers, 'content-type': 'application/json', ...extra });
  const post = (kind: string, headers: Record<string, string>, body: Buffer, expect: BadRequest['expect'] = 'reject'): BadRequest => ({ kind, method: 'POST', headers, body, expect });

  const kinds: Record<string, (rng: Rng) => BadRequest> = {
    'missing headers': (rng) => {
      const body = event();
      const all = signed(body);
      const names = ['svix-id', 'svix-timestamp', 'svix-signature'].filter(() => rng.chance(0.5));
      if (names.length === 0) names.push(rng.pick(['svix-id', 'svix-timestamp', 'svix-signature']));
      for (const n of names) delete (all as Record<string, string>)[n];
      return post('missing headers', all, body);
    },
    'broken svix-id': (rng) => {
      const body = event();
      const id = rng.pick(['', ' ', 'x'.repeat(257 + rng.int(2000))]);
      const ts = nowSec();
      const h = { 'svix-id': id, 'svix-timestamp': String(ts), 'svix-signature': `v1,${v1(id, ts, body)}`, 'content-type': 'application/json' };
      // A long id signed correctly must still be refused (ids are short), as must the rest.
      return post('broken svix-id', h, body);
    },
    'broken timestamp': (rng) => {
      const body = event();
      const ts = rng.pick(['', 'abc', '-1', '1e10', '12.5', ' 1700000000', '0x10', String(nowSec() - 3600), String(nowSec() + 3600), '99999999999999999999']);
      const id = `msg_${rng.int(1e9)}`;
      return post('broken timestamp', { 'svix-id': id, 'svix-timestamp': ts, 'svix-signature': `v1,${v1(id, ts, body)}`, 'content-type': 'application/json' }, body);
    },
    'bad base64': (rng) => {
      const body = event();
      const h = signed(body);
      h['svix-signature'] = rng.pick(['v1,@@@@', 'v1,====', 'v1,not base64!', `v1,${'%'.repeat(44)}`, 'v1,', 'v1', ',', 'v1,\u00ff\u00fe', `v1,${Buffer.from(rng.bytes(7)).toString('base64')}`]);
      return post('bad base64', h, body);
    },
    'wrong version': (rng) => {
      const body = event();
      const h = signed(body);
      const sig = h['svix-signature'].slice(3);
      h['svix-signature'] = rng.pick([`v2,${sig}`, `v0,${sig}`, `V1,${sig}`, `v1a,${sig}`, `v1a,${sig} v2,${sig}`, `${sig}`, `v1:${sig}`]);
      return post('wrong version', h, body);
    },
    'wrong signature': (rng) => {
      const body = event();
      const h = signed(body);
      const tampered = Buffer.from(body);
      tampered[rng.int(tampered.length)] ^= 1 + rng.int(255);
      return post('wrong signature', h, rng.chance(0.5) ? tampered : body.subarray(0, body.length - 1 - rng.int(10)));
    },
    'huge body, declared': (rng) => post('huge body, declared', signed(Buffer.alloc(0)), rng.bytes(maxBodyBytes + 1 + rng.int(maxBodyBytes)), 'reject-or-reset'),
    'huge body, chunked': (rng) => ({ ...post('huge body, chunked', signed(Buffer.alloc(0)), Buffer.alloc(maxBodyBytes + 1 + rng.int(maxBodyBytes), 0x7b), 'reject-or-reset'), chunked: true }),
    'invalid UTF-8, signed': (rng) => {
      const body = Buffer.concat([utf8('{"type":"user.created","data":{"id":"user_'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, rng.int(256) | 0x80]), utf8('"}}')]);
      return post('invalid UTF-8, signed', signed(body), body);
    },
    'not JSON, signed': (rng) => {
      const body = rng.pick([utf8('hello'), utf8('{"type":'), utf8('<xml/>'), utf8(''), rng.bytes(1 + rng.int(200)), utf8('{"a":1}{"b":2}'), utf8('NaN')]);
      return post('not JSON, signed', signed(body), body);
    },
    'not an event, signed': (rng) => {
      const body = utf8(rng.pick(['{}', '[]', 'null', '"user.created"', '42', '{"type":5,"data":{}}', '{"type":"user.created"}', '{"type":"user.created","data":null}']));
      return post('not an event, signed', signed(body), body);
    },
    'deep nesting, signed': (rng) => {
      const depth = 10_000 + rng.int(Math.floor(maxBodyBytes / 2) - 10_000);
      const body = utf8(rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(Math.floor(depth / 5))}1${'}'.repeat(Math.floor(depth / 5))}`);
      return post('deep nesting, signed', signed(body), body);
    },
    'wrong method': (rng) => {
      const method = rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
      const body = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? Buffer.alloc(0) : event();
      return { kind: 'wrong method', method, headers: signed(body), body, expect: method === 'HEAD' ? 'head' : 'reject' };
    },
    'wrong content, valid event headers of another body': () => {
      const h = signed(event());
      return post('wrong content, valid event headers of another body', h, event());
    },
  };

  /** A validly signed Clerk event whose data holds a deeply nested field: stored on purpose. */
  const deepValidEvent = (depth: number): BadRequest => {
    const e = eventFixture('user.created') as any;
    e.data.public_metadata = '__DEEP__';
    const body = utf8(JSON.stringify(e).replace('"__DEEP__"', `{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`));
    return post('deep nesting inside a valid event, signed (stored on purpose)', signed(body), body, 'accept');
  };

  return { kinds, deepValidEvent };
}
