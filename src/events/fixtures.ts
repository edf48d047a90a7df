import type { ClerkEventOf, ClerkEventType } from './catalog.js';
import { FIXTURES } from './generated/fixtures.data.js';

type Writable<T> = T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type Assignable<T extends U, U> = T;
// Compile-time proof that every fixture fits its event type (extra keys, as in live payloads, are
// allowed); exported only so that an unused-type check sees it used.
export type FixtureTable = Assignable<Writable<typeof FIXTURES>, { [K in ClerkEventType]: ClerkEventOf<K> }>;

export interface FixtureOptions {
  /** Unix ms the event should look sent at; default Date.now(). */
  now?: number;
  /** Example id -> fresh id. Pass the same map to several calls to link their events into one scenario. */
  ids?: Map<string, string>;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// prefix_ + 20-30 base62 chars with a digit, e.g. user_2g7np7Hrk0SN6kj5EDMLDaKNL0S or csub_item_...
const CLERK_ID = /^([a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*)_(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{20,30}$/;

/** A Clerk-like id: `${prefix}_` and 27 random base62 characters. */
export function freshId(prefix: string): string {
  let id = '';
  while (id.length < 27) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      if (byte < 248 && id.length < 27) id += BASE62[byte % 62]; // 248 = 4 * 62: no modulo bias
    }
  }
  return `${prefix}_${id}`;
}

const isEpochMs = (v: unknown): v is number => typeof v === 'number' && v >= 1e12 && v < 1e13;

/**
 * A realistic event of the given type (from Clerk's spec examples), with fresh ids and current times:
 * every id is replaced consistently, `data.updated_at` becomes `now` and all other ms times keep their
 * distance to it; the envelope `timestamp` is `now`.
 */
export function eventFixture<T extends ClerkEventType>(type: T, options: FixtureOptions = {}): ClerkEventOf<T> {
  const template = (FIXTURES as Record<string, any>)[type];
  if (!template) throw new Error(`no fixture for event type "${type}"`);
  const now = options.now ?? Date.now();
  const ids = options.ids ?? new Map<string, string>();
  const { data } = template;
  const shift = now - ([data.updated_at, data.created_at_ms, data.created_at].find(isEpochMs) ?? template.timestamp);

  const copy = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const prefix = CLERK_ID.exec(v)?.[1];
      if (prefix === undefined) return v;
      if (!ids.has(v)) ids.set(v, freshId(prefix));
      return ids.get(v);
    }
    if (isEpochMs(v)) return v + shift;
    if (Array.isArray(v)) return v.map(copy);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  const event = copy(template) as ClerkEventOf<T>;
  event.timestamp = now;
  return event;
}

const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** `--set` values arrive as text: JSON if they parse as JSON (`true`, `42`, `{"a":1}`, `"42"`), else the text itself. */
function fromText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Sets a dot path (`data.first_name`, `data.email_addresses.0.email_address`), creating missing objects/arrays.
 * A string value is parsed as JSON when it is JSON, as for a CLI `--set path=value`; other values are set as is.
 */
export function setPath(obj: object, path: string, value: unknown): void {
  const keys = path.split('.');
  if (keys.some((k) => k === '' || UNSAFE_KEYS.has(k))) throw new Error(`invalid path "${path}"`);
  let target: any = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!;
    if (target[key] === undefined || target[key] === null) target[key] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
    else if (typeof target[key] !== 'object') {
      throw new Error(`cannot set "${path}": "${keys.slice(0, i + 1).join('.')}" is a ${typeof target[key]}, not an object`);
    }
    target = target[key];
  }
  target[keys.at(-1)!] = typeof value === 'string' ? fromText(value) : value;
}
