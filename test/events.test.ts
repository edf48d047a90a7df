import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  EVENT_TYPES,
  EventParseError,
  eventFixture,
  freshId,
  isKnownEventType,
  parseEvent,
  setPath,
} from '../src/events/index.js';
import type { ClerkEventType } from '../src/events/index.js';
import { cleanJson, MAX_JSON_DEPTH, mayNeedCleaning } from '../src/events/content.js';
import { hostileCorpus } from './support/hostile-corpus.js';

const spec = parse(readFileSync(new URL('../spec/clerk/webhooks-openapi-2025-04-15.yml', import.meta.url), 'utf8'));
const schemas = spec.components.schemas;
const hooks: Record<string, any> = spec['x-webhooks'];
const SPEC_TYPES = Object.keys(hooks);
const EXTRA_TYPES = ['session.updated', 'invitation.created', 'invitation.accepted', 'invitation.revoked'];

const refName = (ref: string) => ref.split('/').pop()!;
function specExample(type: string): any {
  const body = hooks[type].post.requestBody.content['application/json'];
  return body.example ?? spec.components.examples[refName(body.examples.default.$ref)].value;
}
function requiredOf(s: any): string[] {
  if (s.$ref) return requiredOf(schemas[refName(s.$ref)]);
  return [...(s.required ?? []), ...(s.allOf ?? []).flatMap(requiredOf)];
}
function specDataRequired(type: string): string[] {
  const dataSchema = hooks[type].post.requestBody.content['application/json'].schema.allOf[1].properties.data;
  // The spec requires a `data` wrapper for public_organization_data on accepted invitations; Clerk sends
  // neither the wrapper nor does the spec's own example (see scripts/gen-events.ts).
  return requiredOf(dataSchema).filter((k) => !(type === 'organizationInvitation.accepted' && k === 'data'));
}
// Every key path of `value`, array items by index: ['a', 'a.b', 'list.0', 'list.0.id', ...].
function keyPaths(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...keyPaths(v, `${prefix}${k}.`)]);
}
function has(obj: unknown, path: string): boolean {
  let cur: any = obj;
  for (const key of path.split('.')) {
    if (!cur || typeof cur !== 'object' || !(key in cur)) return false;
    cur = cur[key];
  }
  return true;
}
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
const body = (evt: unknown) => JSON.stringify(evt);

describe('catalog', () => {
  it('has exactly the 45 spec event types plus the 4 from the webhook guide', () => {
    assert.equal(SPEC_TYPES.length, 45);
    assert.deepEqual([...EVENT_TYPES].sort(), [...SPEC_TYPES, ...EXTRA_TYPES].sort());
    assert.equal(new Set(EVENT_TYPES).size, 49);
  });

  it('isKnownEventType', () => {
    for (const type of EVENT_TYPES) assert.equal(isKnownEventType(type), true);
    for (const type of ['user.exploded', '', 'constructor', 'toString', 'USER.CREATED']) assert.equal(isKnownEventType(type), false);
  });
});

describe('fixtures', () => {
  for (const type of EVENT_TYPES) {
    it(`${type}: parses as known, with a current envelope`, () => {
      const before = Date.now();
      const evt = eventFixture(type);
      const parsed = parseEvent(body(evt));
      assert.equal(parsed.known, true);
      assert.equal(parsed.event.type, type);
      assert.equal(evt.object, 'event');
      assert.ok(evt.timestamp >= before && evt.timestamp <= Date.now(), 'timestamp is now, in ms');
      assert.match(evt.instance_id ?? '', /^ins_[0-9A-Za-z]{27}$/);
    });
  }

  for (const type of SPEC_TYPES) {
    it(`${type}: keeps every field of the spec example and has the spec's required fields`, () => {
      const { data } = eventFixture(type as ClerkEventType);
      for (const path of keyPaths(specExample(type).data)) assert.ok(has(data, path), `missing ${path}`);
      for (const key of specDataRequired(type)) assert.ok(key in data, `missing required ${key}`);
    });
  }

  it('extra types: session.updated is shaped like session.created; invitations have the Invitation required fields', () => {
    const session = eventFixture('session.updated').data;
    for (const path of keyPaths(specExample('session.created').data)) assert.ok(has(session, path), `missing ${path}`);
    for (const [type, status] of [['invitation.created', 'pending'], ['invitation.accepted', 'accepted'], ['invitation.revoked', 'revoked']] as const) {
      const data = eventFixture(type).data;
      for (const key of requiredOf(schemas.Invitation)) assert.ok(key in data, `${type} missing ${key}`);
      assert.equal(data.status, status);
    }
  });

  it('replaces every long example id with a fresh one, per call', () => {
    const exampleIds = (value: unknown) => strings(value).filter((s) => /^[a-z_]+_[0-9A-Za-z]{20,30}$/.test(s));
    for (const type of SPEC_TYPES) {
      const a = eventFixture(type as ClerkEventType);
      const b = eventFixture(type as ClerkEventType);
      const fixtureStrings = new Set(strings(a));
      for (const id of exampleIds(specExample(type))) assert.ok(!fixtureStrings.has(id), `${type} still has ${id}`);
      if ('id' in a.data) assert.notEqual(a.data.id, (b.data as { id: string }).id);
    }
  });

  it('keeps ids consistent within an event', () => {
    for (const type of ['user.created', 'user.updated'] as const) {
      const user = eventFixture(type).data;
      assert.ok(user.primary_email_address_id);
      const primary = user.email_addresses.find((e) => e.id === user.primary_email_address_id);
      assert.equal(primary?.email_address, 'john.doe@acme.com');
    }
    for (const type of ['session.created', 'session.pending', 'session.updated', 'session.ended', 'session.removed', 'session.revoked'] as const) {
      const session = eventFixture(type).data;
      assert.equal(session.user_id, session.user.id);
      assert.ok(session.user.email_addresses.some((e) => e.id === session.user.primary_email_address_id));
    }
    for (const type of ['organizationMembership.created', 'organizationMembership.updated', 'organizationMembership.deleted'] as const) {
      const membership = eventFixture(type).data;
      assert.match(membership.organization.id, /^org_[0-9A-Za-z]{27}$/);
      assert.match(membership.public_user_data?.user_id ?? '', /^user_[0-9A-Za-z]{27}$/);
    }
    const domain = eventFixture('organizationDomain.created').data;
    assert.equal(domain.public_organization_data?.id, domain.organization_id);
    const subscription = eventFixture('subscription.created').data;
    assert.equal(subscription.payer_id, subscription.payer.id);
  });

  it('keeps ids consistent across events that share an ids map', () => {
    const ids = new Map<string, string>();
    const created = eventFixture('user.created', { ids });
    const updated = eventFixture('user.updated', { ids });
    const deleted = eventFixture('user.deleted', { ids });
    const session = eventFixture('session.created', { ids });
    const email = eventFixture('email.created', { ids });
    const payment = eventFixture('paymentAttempt.created', { ids });
    const subscription = eventFixture('subscription.created', { ids });
    for (const userId of [updated.data.id, deleted.data.id, session.data.user.id, email.data.user_id, payment.data.payer.user_id, subscription.data.payer.user_id]) {
      assert.equal(userId, created.data.id);
    }
    assert.equal(updated.data.primary_email_address_id, created.data.primary_email_address_id);
    assert.equal(email.data.email_address_id, created.data.primary_email_address_id);

    const org = eventFixture('organization.created', { ids });
    const membership = eventFixture('organizationMembership.created', { ids });
    const orgDeleted = eventFixture('organization.deleted', { ids });
    const domainCreated = eventFixture('organizationDomain.created', { ids });
    const domainDeleted = eventFixture('organizationDomain.deleted', { ids });
    assert.equal(membership.data.organization.id, org.data.id);
    assert.equal(orgDeleted.data.id, org.data.id);
    assert.equal(domainDeleted.data.id, domainCreated.data.id);
    assert.equal(ids.get('user_2g7np7Hrk0SN6kj5EDMLDaKNL0S'), created.data.id);
  });

  it('shifts times so updated_at = now and keeps their distances', () => {
    const now = Date.UTC(2030, 0, 1);
    const updated = eventFixture('user.updated', { now });
    assert.equal(updated.timestamp, now);
    assert.equal(updated.data.updated_at, now);
    assert.equal(updated.data.created_at, now - 300_000); // 5 minutes apart in the spec example
    const invitation = eventFixture('organizationInvitation.created', { now });
    assert.equal(invitation.data.created_at, now);
    assert.ok(invitation.data.expires_at! > now);
    const sms = eventFixture('sms.created', { now });
    assert.equal(sms.data.created_at_ms, now);
    for (const type of EVENT_TYPES) {
      const data = eventFixture(type, { now }).data as { created_at?: number; updated_at?: number };
      if (typeof data.updated_at === 'number') assert.equal(data.updated_at, now, type);
      if (typeof data.created_at === 'number') assert.ok(data.created_at <= now, type);
    }
  });

  it('freshId makes 27-character base62 ids with the prefix', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = freshId('csub_item');
      assert.match(id, /^csub_item_[0-9A-Za-z]{27}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 1000);
  });
});

describe('parseEvent', () => {
  const valid = { type: 'user.created', object: 'event', timestamp: 1716883200000, data: { id: 'user_1', object: 'user' } };

  it('accepts strings and bytes and keeps unknown fields', () => {
    const raw = body({ ...valid, brand_new: { a: 1 }, data: { ...valid.data, undocumented: [1, 2] } });
    for (const input of [raw, new TextEncoder().encode(raw), Buffer.from(raw)]) {
      const parsed = parseEvent(input);
      assert.equal(parsed.known, true);
      assert.deepEqual(parsed.event, JSON.parse(raw));
    }
  });

  it('accepts a missing instance_id, timestamp and optional data fields', () => {
    const parsed = parseEvent(body({ type: 'user.updated', data: { id: 'user_1' } }));
    assert.equal(parsed.known, true);
    assert.equal(parsed.event.instance_id, undefined);
  });

  it('marks types outside the catalog as unknown and keeps them whole', () => {
    const evt = { type: 'agent.woke_up', object: 'event', data: { mood: 'fine' }, extra: true };
    const parsed = parseEvent(body(evt));
    assert.equal(parsed.known, false);
    assert.deepEqual(parsed.event, evt);
  });

  const cases: [string, string | Uint8Array, 'invalid_json' | 'invalid_event', RegExp][] = [
    ['non-JSON', '{"type": "user.created",', 'invalid_json', /^body is not valid JSON: .+ — Clerk always sends a JSON object/],
    ['empty body', '', 'invalid_json', /not valid JSON/],
    ['form-encoded body', 'type=user.created&data=x', 'invalid_json', /not valid JSON/],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_json', /not valid UTF-8/],
    ['JSON array', '[{"type":"user.created","data":{}}]', 'invalid_event', /event is an array, not a JSON object/],
    ['JSON string', '"user.created"', 'invalid_event', /event is a string/],
    ['JSON null', 'null', 'invalid_event', /event is null/],
    ['missing type', '{"data":{}}', 'invalid_event', /^event has no string `type`$/],
    ['empty type', '{"type":"","data":{}}', 'invalid_event', /^event `type` is empty$/],
    ['non-string type', '{"type":42,"data":{}}', 'invalid_event', /^event has no string `type` \(it is a number\)$/],
    ['null data', '{"type":"user.created","data":null}', 'invalid_event', /^event has no `data` object \(it is null\)$/],
    ['array data', '{"type":"user.created","data":[]}', 'invalid_event', /\(it is an array\)/],
    ['string data', '{"type":"user.created","data":"{}"}', 'invalid_event', /\(it is a string\)/],
    ['missing data', '{"type":"user.created"}', 'invalid_event', /\(it is missing\)/],
    ['deep nesting', '['.repeat(100_000) + ']'.repeat(100_000), 'invalid_event', /an array/],
    ['deep unclosed nesting', '['.repeat(100_000), 'invalid_json', /not valid JSON/],
  ];
  for (const [name, input, code, message] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      assert.throws(() => parseEvent(input), (err: unknown) => {
        assert.ok(err instanceof EventParseError);
        assert.equal(err.name, 'EventParseError');
        assert.equal(err.code, code);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('parses deep nesting inside data without throwing', () => {
    const deep = `{"type":"user.updated","data":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    assert.equal(parseEvent(deep).known, true);
  });

  it('throws only EventParseError, for any input', () => {
    const inputs: unknown[] = [undefined, null, 42, {}, [], new ArrayBuffer(4), Symbol('x')];
    for (let i = 0; i < 2000; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(i % 64));
      inputs.push(bytes, Buffer.from(bytes).toString('latin1'));
    }
    const json = body(eventFixture('user.created'));
    for (let i = 0; i < json.length; i += 7) inputs.push(json.slice(0, i), json.slice(i));
    for (const input of inputs) {
      try {
        parseEvent(input as string);
      } catch (err) {
        assert.ok(err instanceof EventParseError, `${String(err)} for ${String(input)}`);
      }
    }
  });
});

describe('setPath', () => {
  it('sets nested object fields and array items', () => {
    const evt = eventFixture('user.created');
    setPath(evt, 'data.first_name', 'Jane');
    setPath(evt, 'data.email_addresses.0.email_address', 'jane@example.com');
    setPath(evt, 'data.public_metadata.plan.tier', 'pro');
    assert.equal(evt.data.first_name, 'Jane');
    assert.equal(evt.data.email_addresses[0]?.email_address, 'jane@example.com');
    assert.deepEqual(evt.data.public_metadata, { plan: { tier: 'pro' } });
  });

  it('creates missing arrays for numeric segments and replaces nulls', () => {
    const obj: Record<string, unknown> = { a: null };
    setPath(obj, 'list.1.name', 'x');
    setPath(obj, 'a.b', 1);
    assert.ok(Array.isArray(obj.list));
    assert.deepEqual(obj.list[1], { name: 'x' });
    assert.deepEqual(obj.a, { b: 1 });
  });

  it('refuses to walk through primitives or into prototypes', () => {
    assert.throws(() => setPath({ a: 'text' }, 'a.b', 1), /"a" is a string/);
    assert.throws(() => setPath({}, '__proto__.polluted', 1), /invalid path/);
    assert.throws(() => setPath({}, 'a..b', 1), /invalid path/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('parses string values as JSON when they are JSON, else keeps the string', () => {
    const obj: Record<string, any> = {};
    setPath(obj, 'data.banned', 'true');
    setPath(obj, 'data.created_at', '1700000000000');
    setPath(obj, 'data.public_metadata', '{"a":[1]}');
    setPath(obj, 'data.username', '"42"');
    setPath(obj, 'data.first_name', 'Jane');
    setPath(obj, 'data.last_name', '');
    setPath(obj, 'data.count', 3);
    assert.deepEqual(obj.data, {
      banned: true,
      created_at: 1700000000000,
      public_metadata: { a: [1] },
      username: '42',
      first_name: 'Jane',
      last_name: '',
      count: 3,
    });
  });
});

describe('mayNeedCleaning: when the worker may skip the content policy walk', () => {
  const bodies = [...EVENT_TYPES.map((t) => JSON.stringify(eventFixture(t))), ...hostileCorpus().map((d) => d.body)];

  it('says false only for bodies whose parsed event cleanJson leaves untouched', () => {
    let skipped = 0;
    for (const body of bodies) {
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        continue; // the corpus also holds bodies that are not JSON
      }
      if (mayNeedCleaning(body)) continue;
      skipped++;
      assert.equal(cleanJson(event), event, `cleanJson changed a body mayNeedCleaning let through: ${body.slice(0, 120)}`);
    }
    // Most bodies are clean, so the walk is skipped for them: the point of the check.
    assert.ok(skipped >= EVENT_TYPES.length, `only ${skipped} bodies skipped the walk`);
  });

  it('says true for every escape and nesting cleanJson acts on', () => {
    for (const value of [{ name: 'a\u0000b' }, { name: 'lone \ud800' }, { name: 'lone \udfff' }, { 'key\u0000': 1 }]) {
      assert.equal(mayNeedCleaning(JSON.stringify(value)), true, JSON.stringify(value));
    }
    assert.equal(mayNeedCleaning('{"a":"\\uD800"}'), true, 'upper-case escapes');
    assert.equal(mayNeedCleaning('{"a":"\\ud83d\\ude00"}'), true, 'an escaped pair costs the walk (which keeps it)');
    const deep = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`;
    assert.notEqual(cleanJson(JSON.parse(deep)), JSON.parse(deep));
    assert.equal(mayNeedCleaning(deep), true);
    assert.equal(mayNeedCleaning(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`), true);
    assert.equal(mayNeedCleaning(JSON.stringify({ name: 'José \u00e9 \u2028 \ud83d\ude00 \u0001' })), false, 'other escapes, characters and a raw pair need nothing');
  });
});
