import { EVENT_TYPES, type ClerkEventType } from '../../src/events/catalog.js';
import { eventFixture } from '../../src/events/fixtures.js';

/**
 * What an end user can type into a name, a username or unsafe_metadata, and what a sloppy sender
 * can put in a number: each class turns a field's realistic value into a hostile one that keeps
 * the original inside, so ids stay unique and events stay independent of each other.
 */
export const HOSTILE_STRINGS: Record<string, (original: string) => string> = {
  nul: (v) => `${v}\u0000${v}`,
  lone_high_surrogate: (v) => `${v}\ud800`,
  lone_low_surrogate: (v) => `\udc00${v}`,
  // 5,000 two-byte characters: 10 KB, past every text column's index limit.
  long: (v) => `${v}${'é'.repeat(5_000)}`,
  terminal_escapes: (v) => `${v}\u001b[2J\u001b]0;pwned\u0007\r\nfake line`,
  bidi_and_emoji: (v) => `${v}\u202egnp.exe🙂`,
  sql: (v) => `${v}'); drop table clerk_users; --`,
};

export const HOSTILE_NUMBERS: Record<string, number> = {
  two_to_the_63: 2 ** 63,
  '1e21': 1e21,
  fraction: 1_764_633_600_123.75,
  negative: -1,
  beyond_exact_integers: 2 ** 53 + 2,
};

export interface Delivery {
  /** What was made hostile, for failure messages. */
  label: string;
  body: string;
}

type Leaf = { path: (string | number)[]; value: string | number };

function leaves(value: unknown, path: (string | number)[] = [], out: Leaf[] = []): Leaf[] {
  if (typeof value === 'string' || typeof value === 'number') out.push({ path, value });
  else if (Array.isArray(value)) value.forEach((v, i) => leaves(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
  return out;
}

function setAt(root: any, path: (string | number)[], value: unknown): void {
  let target = root;
  for (const key of path.slice(0, -1)) target = target[key];
  target[path.at(-1)!] = value;
}

/** `{"level":{"level":...}}` as text: JSON.stringify itself overflows Node 20's stack past ~4,000 levels. */
function nestedJson(depth: number): string {
  return `${'{"level":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;
}

/**
 * Every hostile string class in every string field, and every hostile number in every number
 * field, of every event type of the catalog (one event each), plus hostile envelopes, object keys
 * and nesting. Generated once and sent alike to every database.
 */
export function hostileCorpus(now = Date.now()): Delivery[] {
  const out: Delivery[] = [];
  for (const type of EVENT_TYPES as readonly ClerkEventType[]) {
    for (const leaf of leaves(eventFixture(type, { now }).data)) {
      const where = `${type} data.${leaf.path.join('.')}`;
      if (typeof leaf.value === 'string') {
        for (const [name, make] of Object.entries(HOSTILE_STRINGS)) {
          // A fresh fixture per event: fresh ids, so no two events write the same rows.
          const event = eventFixture(type, { now }) as { data: unknown };
          const fresh = leaves(event.data).find((l) => l.path.join('.') === leaf.path.join('.'))!;
          setAt(event.data, fresh.path, make(String(fresh.value)));
          out.push({ label: `${where} = ${name}`, body: JSON.stringify(event) });
        }
      } else {
        for (const [name, n] of Object.entries(HOSTILE_NUMBERS)) {
          const event = eventFixture(type, { now }) as { data: unknown };
          setAt(event.data, leaf.path, n);
          out.push({ label: `${where} = ${name}`, body: JSON.stringify(event) });
        }
      }
    }
  }
  for (const type of ['user.created', 'organization.created', 'session.created'] as const) {
    const keys = eventFixture(type, { now }) as { data: Record<string, any> };
    const meta = type === 'session.created' ? keys.data.user : keys.data;
    // JSON.parse makes `__proto__` an own key, as it arrives on the wire (a literal would set the prototype).
    meta.public_metadata = { 'nul\u0000key': 1, 'lone\ud800key': 'x', ...JSON.parse('{"__proto__":{"polluted":true}}'), constructor: 'c' };
    out.push({ label: `${type} metadata keys`, body: JSON.stringify(keys) });
    for (const depth of [150, 2_500, 5_000]) {
      const deep = eventFixture(type, { now }) as { data: Record<string, any> };
      (type === 'session.created' ? deep.data.user : deep.data).unsafe_metadata = 'DEEP';
      out.push({ label: `${type} unsafe_metadata nested ${depth} levels`, body: JSON.stringify(deep).replace('"unsafe_metadata":"DEEP"', `"unsafe_metadata":${nestedJson(depth)}`) });
    }
  }
  const envelope = (label: string, change: (e: Record<string, any>) => void) => {
    const e = eventFixture('user.created', { now }) as unknown as Record<string, any>;
    change(e);
    out.push({ label: `envelope ${label}`, body: JSON.stringify(e) });
  };
  envelope('timestamp in fractional seconds', (e) => (e.timestamp = 1_764_633_600.1234));
  envelope('timestamp 2^63', (e) => (e.timestamp = 2 ** 63));
  envelope('timestamp 1e21', (e) => (e.timestamp = 1e21));
  envelope('instance_id with NUL', (e) => (e.instance_id = 'ins_\u0000x'));
  envelope('instance_id 10 KB', (e) => (e.instance_id = `ins_${'x'.repeat(10_000)}`));
  envelope('data.id with NUL', (e) => (e.data.id = `${e.data.id}\u0000`));
  envelope('type with NUL (outside the catalog)', (e) => (e.type = 'user.created\u0000'));
  envelope('type of 20 KB (outside the catalog)', (e) => (e.type = `brand.${'t'.repeat(20_000)}`));
  envelope('type with escapes (outside the catalog)', (e) => (e.type = 'x.\u001b[2Jy'));
  return out;
}
