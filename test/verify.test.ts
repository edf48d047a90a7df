import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Webhook } from 'svix';
import {
  WebhookVerificationError,
  createVerifier,
  parseSecrets,
  signWebhook,
  verifyWebhook,
} from '../src/verify/index.js';
import { hmacSha256Base64 } from '../src/verify/hmac.js';
import type { VerificationErrorCode, WebhookHeaders, WebhookPayload } from '../src/verify/index.js';

interface SymmetricVector {
  name: string;
  secret: string;
  id: string;
  timestamp: number;
  payload?: string;
  payload_repeat?: { char: string; count: number };
  signature: string;
}
interface AsymmetricVector {
  name: string;
  id: string;
  timestamp: number;
  payload: string;
  signature: string;
}
interface Vectors {
  symmetric: SymmetricVector[];
  asymmetric_v1a_ed25519: AsymmetricVector[];
  negative_signature_headers_for_canonical_secret: string[];
  multi_signature_header_valid_for_canonical: string;
  tolerance_seconds: number;
}

const vectors = JSON.parse(readFileSync(new URL('./vectors/standard-webhooks.json', import.meta.url), 'utf8')) as Vectors;

const canonical = vectors.symmetric[0]!;
const SECRET = canonical.secret;
const OTHER_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const T = 1_700_000_000;
const at = (seconds: number) => () => seconds * 1000;
const payloadOf = (v: SymmetricVector) => v.payload ?? v.payload_repeat!.char.repeat(v.payload_repeat!.count);
const svixHeaders = (id: string, timestamp: number, signature: string) => ({
  'svix-id': id,
  'svix-timestamp': String(timestamp),
  'svix-signature': signature,
});

function rejects(fn: () => unknown, code: VerificationErrorCode): WebhookVerificationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof WebhookVerificationError, `expected a WebhookVerificationError (${code}), got ${caught}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.name, 'WebhookVerificationError');
  return caught;
}

const canonicalHeaders = svixHeaders(canonical.id, canonical.timestamp, canonical.signature);
const canonicalVerifier = createVerifier(SECRET, { now: at(canonical.timestamp) });

describe('Standard Webhooks vectors', () => {
  for (const v of vectors.symmetric) {
    it(`accepts: ${v.name}`, () => {
      const result = verifyWebhook(payloadOf(v), svixHeaders(v.id, v.timestamp, v.signature), v.secret, {
        now: at(v.timestamp),
      });
      assert.deepEqual(result, { id: v.id, timestamp: v.timestamp });
    });

    it(`signs identically: ${v.name}`, () => {
      const signed = signWebhook(payloadOf(v), v.secret, { id: v.id, timestamp: v.timestamp });
      assert.equal(signed.signature, v.signature);
    });
  }

  for (const header of vectors.negative_signature_headers_for_canonical_secret) {
    it(`rejects signature header ${JSON.stringify(header)}`, () => {
      rejects(
        () => canonicalVerifier.verify(canonical.payload!, { ...canonicalHeaders, 'svix-signature': header }),
        'invalid_signature',
      );
    });
  }

  it('accepts a multi-signature header where one v1 entry matches', () => {
    const headers = { ...canonicalHeaders, 'svix-signature': vectors.multi_signature_header_valid_for_canonical };
    assert.equal(canonicalVerifier.verify(canonical.payload!, headers).id, canonical.id);
  });

  for (const v of vectors.asymmetric_v1a_ed25519) {
    it(`never accepts an asymmetric v1a signature as v1: ${v.name}`, () => {
      const verifier = createVerifier(SECRET, { now: at(v.timestamp) });
      const error = rejects(
        () => verifier.verify(v.payload, svixHeaders(v.id, v.timestamp, v.signature)),
        'invalid_signature',
      );
      assert.match(error.message, /v1a/);
      // Nor when the v1a bytes are relabelled as v1 (they are 64 bytes, not an HMAC).
      rejects(
        () => verifier.verify(v.payload, svixHeaders(v.id, v.timestamp, v.signature.replace(/^v1a,/, 'v1,'))),
        'invalid_signature',
      );
    });
  }

  it(`uses the vectors' tolerance of ${vectors.tolerance_seconds} s by default`, () => {
    const edge = createVerifier(SECRET, { now: at(canonical.timestamp + vectors.tolerance_seconds) });
    assert.equal(edge.verify(canonical.payload!, canonicalHeaders).timestamp, canonical.timestamp);
    const past = createVerifier(SECRET, { now: at(canonical.timestamp + vectors.tolerance_seconds + 1) });
    rejects(() => past.verify(canonical.payload!, canonicalHeaders), 'timestamp_too_old');
  });
});

describe('payloads and headers', () => {
  const body = '{"type":"user.created","data":{"id":"user_1","first_name":"Zoë"}}';
  const signed = signWebhook(body, SECRET, { id: 'msg_1', timestamp: T });
  const verifier = createVerifier(SECRET, { now: at(T) });

  const payloads: [string, WebhookPayload][] = [
    ['string', body],
    ['Buffer', Buffer.from(body)],
    ['Uint8Array', new TextEncoder().encode(body)],
  ];
  for (const [kind, payload] of payloads) {
    it(`verifies a ${kind} payload`, () => {
      assert.deepEqual(verifier.verify(payload, signed.headers), { id: 'msg_1', timestamp: T });
    });
  }

  it('verifies a Buffer payload that is a slice of a larger buffer', () => {
    const big = Buffer.from(`xxxx${body}yyyy`);
    assert.equal(verifier.verify(big.subarray(4, 4 + Buffer.byteLength(body)), signed.headers).id, 'msg_1');
  });

  const families: [string, WebhookHeaders][] = [
    ['svix-* object', signed.headers],
    [
      'webhook-* object (Standard Webhooks)',
      { 'webhook-id': 'msg_1', 'webhook-timestamp': String(T), 'webhook-signature': signed.signature },
    ],
    ['svix-* Fetch Headers', new Headers(signed.headers)],
    [
      'webhook-* Fetch Headers',
      new Headers({ 'Webhook-Id': 'msg_1', 'Webhook-Timestamp': String(T), 'Webhook-Signature': signed.signature }),
    ],
    ['mixed-case object keys', { 'Svix-Id': 'msg_1', 'SVIX-TIMESTAMP': String(T), 'svix-Signature': signed.signature }],
    [
      'node duplicate headers (arrays)',
      { 'svix-id': ['msg_1', 'msg_2'], 'svix-timestamp': [String(T)], 'svix-signature': ['v1,bad', signed.signature] },
    ],
    [
      'Fetch Headers with a repeated signature header',
      new Headers([
        ['svix-id', 'msg_1'],
        ['svix-timestamp', String(T)],
        ['svix-signature', 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='],
        ['svix-signature', signed.signature],
      ]),
    ],
  ];
  for (const [kind, headers] of families) {
    it(`reads ${kind}`, () => {
      assert.deepEqual(verifier.verify(body, headers), { id: 'msg_1', timestamp: T });
    });
  }

  it('accepts an unpadded signature, rejects non-canonical or url-safe base64', () => {
    const unpadded = signed.signature.replace(/=$/, '');
    assert.equal(verifier.verify(body, { ...signed.headers, 'svix-signature': unpadded }).id, 'msg_1');
    // The canonical vector's signature has both '+' and '/'.
    const urlSafe = canonical.signature.replace(/\+/g, '-').replace(/\//g, '_');
    assert.notEqual(urlSafe, canonical.signature);
    rejects(
      () => canonicalVerifier.verify(canonical.payload!, { ...canonicalHeaders, 'svix-signature': urlSafe }),
      'invalid_signature',
    );
    // Same 32 bytes, but the last character's unused low bits set: not what any signer emits.
    const last = signed.signature.at(-2)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const tweaked = `${signed.signature.slice(0, -2)}${alphabet[alphabet.indexOf(last) | 1]}=`;
    rejects(() => verifier.verify(body, { ...signed.headers, 'svix-signature': tweaked }), 'invalid_signature');
  });

  it('ignores other signature versions and picks any matching v1 entry', () => {
    const header = `v1a,${'A'.repeat(86)}== v2,${signed.signature.slice(3)} ${signed.signature}`;
    assert.equal(verifier.verify(body, { ...signed.headers, 'svix-signature': header }).id, 'msg_1');
  });
});

describe('errors', () => {
  const body = '{"type":"user.created","data":{"id":"user_1"}}';
  const signed = signWebhook(body, SECRET, { id: 'msg_err', timestamp: T });
  const verifier = createVerifier(SECRET, { now: at(T) });

  for (const name of ['svix-id', 'svix-timestamp', 'svix-signature'] as const) {
    it(`missing_headers (400) when ${name} is absent or empty`, () => {
      const { [name]: _removed, ...rest } = signed.headers;
      const error = rejects(() => verifier.verify(body, rest), 'missing_headers');
      assert.equal(error.status, 400);
      assert.match(error.message, new RegExp(name));
      rejects(() => verifier.verify(body, { ...signed.headers, [name]: '' }), 'missing_headers');
      rejects(() => verifier.verify(body, { ...signed.headers, [name]: undefined }), 'missing_headers');
    });
  }

  it('missing_headers for an empty Headers object', () => {
    rejects(() => verifier.verify(body, new Headers()), 'missing_headers');
  });

  for (const bad of ['abc', '1.5e9', ' 1700000000', '+1700000000', '-1', '0x1', '1700000000.5', '17000000000000000']) {
    it(`invalid_headers (400) for timestamp ${JSON.stringify(bad)}`, () => {
      const error = rejects(
        () => verifier.verify(body, { ...signed.headers, 'svix-timestamp': bad }),
        'invalid_headers',
      );
      assert.equal(error.status, 400);
    });
  }

  it('invalid_signature (401) for a re-serialized body, explaining why', () => {
    const reserialized = JSON.stringify(JSON.parse(body), null, 2);
    const error = rejects(() => verifier.verify(reserialized, signed.headers), 'invalid_signature');
    assert.equal(error.status, 401);
    assert.match(error.message, /re-serialized/);
    assert.match(error.message, /raw/);
    assert.match(error.message, /express\.json\(\)/);
    assert.match(error.message, /Signing Secret/);
  });

  it('invalid_signature for the wrong secret, a tampered id, or a tampered timestamp', () => {
    rejects(() => createVerifier(OTHER_SECRET, { now: at(T) }).verify(body, signed.headers), 'invalid_signature');
    rejects(() => verifier.verify(body, { ...signed.headers, 'svix-id': 'msg_other' }), 'invalid_signature');
    rejects(() => verifier.verify(body, { ...signed.headers, 'svix-timestamp': String(T + 1) }), 'invalid_signature');
  });

  it('invalid_signature for a header with only non-v1 entries', () => {
    rejects(
      () => verifier.verify(body, { ...signed.headers, 'svix-signature': signed.signature.replace('v1,', 'v2,') }),
      'invalid_signature',
    );
  });

  it('timestamp_too_old / timestamp_too_new (401) give the clock difference and what to do', () => {
    const old = rejects(
      () => createVerifier(SECRET, { now: at(T + 1000) }).verify(body, signed.headers),
      'timestamp_too_old',
    );
    assert.equal(old.status, 401);
    assert.match(old.message, /1000 s/);
    assert.match(old.message, /queue/);
    assert.match(old.message, /clock/);
    const ahead = rejects(
      () => createVerifier(SECRET, { now: at(T - 1000) }).verify(body, signed.headers),
      'timestamp_too_new',
    );
    assert.equal(ahead.status, 401);
    assert.match(ahead.message, /1000 s/);
    assert.match(ahead.message, /clock/);
  });

  it('checks the timestamp before the signature', () => {
    const headers = { ...signed.headers, 'svix-signature': 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=' };
    rejects(() => createVerifier(SECRET, { now: at(T + 1000) }).verify(body, headers), 'timestamp_too_old');
  });

  it('invalid_secret at creation, with the expected format', () => {
    for (const bad of ['', '   ', 'whsec_', 'whsec_not*base64', 'whsec_A', 'whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=', ' , ']) {
      const error = rejects(() => createVerifier(bad), 'invalid_secret');
      assert.match(error.message, /whsec_\.\.\./);
      assert.match(error.message, /Clerk Dashboard/);
      assert.equal(error.status, 401);
    }
    rejects(() => createVerifier([]), 'invalid_secret');
    rejects(() => createVerifier([SECRET, 'whsec_!!']), 'invalid_secret');
    rejects(() => createVerifier(undefined as unknown as string), 'invalid_secret');
    rejects(() => verifyWebhook(body, signed.headers, ''), 'invalid_secret');
    rejects(() => signWebhook(body, 'nope!'), 'invalid_secret');
  });

  it('never puts the secret into a message', () => {
    const secretBody = SECRET.slice('whsec_'.length);
    const errors = [
      rejects(() => verifier.verify(body, {}), 'missing_headers'),
      rejects(() => verifier.verify(body, { ...signed.headers, 'svix-timestamp': 'x' }), 'invalid_headers'),
      rejects(() => verifier.verify(`${body} `, signed.headers), 'invalid_signature'),
      rejects(() => verifier.verify(body, { ...signed.headers, 'svix-signature': 'v1a,xyz' }), 'invalid_signature'),
      rejects(() => createVerifier(SECRET, { now: at(T + 999) }).verify(body, signed.headers), 'timestamp_too_old'),
      rejects(() => createVerifier(SECRET, { now: at(T - 999) }).verify(body, signed.headers), 'timestamp_too_new'),
      rejects(() => createVerifier(`${SECRET} whsec_${secretBody}!`), 'invalid_secret'),
      rejects(() => createVerifier(`whsec_${secretBody}*`), 'invalid_secret'),
    ];
    for (const error of errors) {
      assert.ok(!error.message.includes(secretBody), error.message);
      assert.ok(!String(error.stack).includes(secretBody));
    }
  });

  it('a parsed body is a TypeError that says to pass the raw body', () => {
    assert.throws(
      () => verifier.verify(JSON.parse(body) as unknown as string, signed.headers),
      (error: unknown) => error instanceof TypeError && /raw request body/.test(error.message),
    );
  });

  it('a broken clock option fails closed', () => {
    rejects(() => createVerifier(SECRET, { now: () => Number.NaN }).verify(body, signed.headers), 'timestamp_too_new');
  });

  it('status is 400 for malformed requests and 401 otherwise', () => {
    const e = new WebhookVerificationError('invalid_signature', 'x');
    assert.ok(e instanceof Error);
    assert.equal(e.status, 401);
    assert.equal(new WebhookVerificationError('missing_headers', 'x').status, 400);
    assert.equal(new WebhookVerificationError('invalid_headers', 'x').status, 400);
  });
});

describe('tolerance', () => {
  const body = '{"ok":true}';
  const signed = signWebhook(body, SECRET, { timestamp: T });
  const verifyAt = (seconds: number, toleranceSeconds?: number) =>
    createVerifier(SECRET, { now: at(seconds), toleranceSeconds }).verify(body, signed.headers);

  it('accepts exactly 300 s either way, and any ms within the same second', () => {
    assert.equal(verifyAt(T + 300).timestamp, T);
    assert.equal(verifyAt(T - 300).timestamp, T);
    assert.equal(verifyAt(T + 300.999).timestamp, T);
    assert.equal(verifyAt(T).timestamp, T);
  });

  it('rejects 301 s either way', () => {
    rejects(() => verifyAt(T + 301), 'timestamp_too_old');
    rejects(() => verifyAt(T - 301), 'timestamp_too_new');
  });

  it('honours a custom tolerance', () => {
    assert.equal(verifyAt(T + 10, 10).timestamp, T);
    assert.equal(verifyAt(T - 10, 10).timestamp, T);
    rejects(() => verifyAt(T + 11, 10), 'timestamp_too_old');
    rejects(() => verifyAt(T - 11, 10), 'timestamp_too_new');
    assert.equal(verifyAt(T, 0).timestamp, T);
    rejects(() => verifyAt(T + 1, 0), 'timestamp_too_old');
    assert.equal(verifyAt(T + 86_400, 86_400).timestamp, T);
  });

  it('rejects a nonsensical tolerance', () => {
    assert.throws(() => createVerifier(SECRET, { toleranceSeconds: -1 }), RangeError);
    assert.throws(() => createVerifier(SECRET, { toleranceSeconds: Number.NaN }), RangeError);
  });

  it('defaults to the real clock', () => {
    const fresh = signWebhook(body, SECRET);
    assert.equal(createVerifier(SECRET).verify(body, fresh.headers).id, fresh.id);
    rejects(() => createVerifier(SECRET).verify(body, signed.headers), 'timestamp_too_old');
  });
});

describe('secrets', () => {
  const body = '{"rotation":true}';
  const signedWithOther = signWebhook(body, OTHER_SECRET, { id: 'msg_rot', timestamp: T });

  for (const [kind, secrets] of [
    ['space-separated', `${SECRET} ${OTHER_SECRET}`],
    ['comma-separated', `${SECRET},${OTHER_SECRET}`],
    ['comma-and-space-separated with stray whitespace', `  ${SECRET}, \n${OTHER_SECRET}\n`],
    ['an array', [SECRET, OTHER_SECRET]],
  ] as const) {
    it(`rotation: the second of ${kind} secrets matches`, () => {
      const result = verifyWebhook(body, signedWithOther.headers, secrets, { now: at(T) });
      assert.equal(result.id, 'msg_rot');
    });
  }

  it('parseSecrets decodes whsec_ and bare base64 to the same key', () => {
    const [prefixed] = parseSecrets(SECRET);
    const [bare] = parseSecrets(SECRET.slice('whsec_'.length));
    assert.deepEqual(prefixed, bare);
    assert.equal(prefixed!.length, 24);
    assert.equal(parseSecrets(`${SECRET}, ${OTHER_SECRET}`).length, 2);
    assert.equal(parseSecrets('whsec_plJ3nmyCDGBKInavdOK15jsl')[0]!.length, 18);
  });

  it('signWebhook with rotated secrets emits one v1 entry per secret', () => {
    const signed = signWebhook(body, `${SECRET} ${OTHER_SECRET}`, { id: 'msg_two', timestamp: T });
    const entries = signed.signature.split(' ');
    assert.equal(entries.length, 2);
    assert.equal(createVerifier(OTHER_SECRET, { now: at(T) }).verify(body, signed.headers).id, 'msg_two');
    assert.equal(createVerifier(SECRET, { now: at(T) }).verify(body, signed.headers).id, 'msg_two');
  });
});

describe('sign → verify', () => {
  it('round-trips with defaults (random msg_ id, current time)', () => {
    const body = Buffer.from(JSON.stringify({ type: 'user.deleted', data: { id: 'user_9', deleted: true } }));
    const a = signWebhook(body, SECRET);
    const b = signWebhook(body, SECRET);
    assert.match(a.id, /^msg_[0-9a-f]{32}$/);
    assert.notEqual(a.id, b.id);
    assert.ok(Math.abs(a.timestamp - Date.now() / 1000) < 5);
    assert.match(a.signature, /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(a.headers, {
      'svix-id': a.id,
      'svix-timestamp': String(a.timestamp),
      'svix-signature': a.signature,
    });
    assert.deepEqual(verifyWebhook(body, a.headers, SECRET), { id: a.id, timestamp: a.timestamp });
  });

  it('rejects a non-integer timestamp when signing', () => {
    assert.throws(() => signWebhook('{}', SECRET, { timestamp: 1.5 }), RangeError);
    assert.throws(() => signWebhook('{}', SECRET, { timestamp: -1 }), RangeError);
  });
});

describe('interop with the svix package', () => {
  const body = JSON.stringify({ type: 'user.created', object: 'event', data: { id: 'user_svix', name: 'Zoë ✓' } });

  it('a svix-signed payload verifies with ours', () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = new Webhook(SECRET).sign('msg_svix', new Date(timestamp * 1000), body);
    const headers = svixHeaders('msg_svix', timestamp, signature);
    assert.deepEqual(createVerifier(SECRET).verify(body, headers), { id: 'msg_svix', timestamp });
    assert.deepEqual(createVerifier(SECRET).verify(Buffer.from(body), new Headers(headers)), {
      id: 'msg_svix',
      timestamp,
    });
  });

  it('our signature verifies with svix', () => {
    const signed = signWebhook(body, SECRET);
    assert.deepEqual(new Webhook(SECRET).verify(body, signed.headers), JSON.parse(body));
  });

  it('svix and ours agree on a rejection', () => {
    const signed = signWebhook(body, SECRET);
    const tampered = body.replace('user_svix', 'user_evil');
    assert.throws(() => new Webhook(SECRET).verify(tampered, signed.headers));
    rejects(() => createVerifier(SECRET).verify(tampered, signed.headers), 'invalid_signature');
  });
});

describe('the one-shot HMAC equals node:crypto createHmac', () => {
  // Keys around the 64-byte block (longer ones are hashed first); payloads around the 64 KiB
  // one-shot limit (larger ones stream); multi-byte characters in the prefix and a string payload.
  const keyLengths = [1, 24, 32, 63, 64, 65, 200];
  const sizes = [0, 1, 1024, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 300 * 1024];
  for (const keyLength of keyLengths) {
    it(`a ${keyLength}-byte key, every payload size and kind`, () => {
      const key = randomBytes(keyLength);
      const hmac = hmacSha256Base64(key);
      for (const size of sizes) {
        const bytes = randomBytes(size);
        const text = 'Zoë ✓ 👍'.repeat(Math.ceil(size / 12)).slice(0, size);
        for (const [prefix, payload] of [
          ['msg_1.1716883200.', bytes],
          ['msg_é✓.1716883200.', text],
          [`msg_${'x'.repeat(5000)}.1.`, bytes.subarray(0, 100)],
        ] as const) {
          const expected = createHmac('sha256', key).update(prefix).update(payload).digest('base64');
          assert.equal(hmac(prefix, payload), expected, `prefix ${prefix.length} chars, ${typeof payload} of ${size}`);
        }
      }
    });
  }

  it('verifies a payload above the one-shot limit, and rejects it once tampered', () => {
    const body = JSON.stringify({ type: 'user.updated', data: { id: 'user_big', notes: 'n'.repeat(200 * 1024) } });
    const signed = signWebhook(body, SECRET);
    assert.equal(createVerifier(SECRET).verify(Buffer.from(body), signed.headers).id, signed.id);
    rejects(() => createVerifier(SECRET).verify(body.replace('user_big', 'user_bug'), signed.headers), 'invalid_signature');
  });
});
