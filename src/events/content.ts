/**
 * The content policy: what of an event's content may be written to a column. A correctly signed
 * event carries whatever end users typed (names, usernames, metadata), and SQLite and PostgreSQL
 * do not accept the same things: PostgreSQL's text and jsonb refuse U+0000, jsonb refuses lone
 * surrogates, an index entry has a size limit, bigint stops at 2^63; better-sqlite3 writes a lone
 * surrogate as invalid UTF-8 (CESU-8). So every value is normalized the same way before it reaches
 * either database, and both end with the same rows. The raw body is kept byte-exact in the inbox;
 * only what is derived from it passes through here. docs/schema.md says the same for users.
 */

/** What U+0000 and lone surrogates become. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * Most UTF-8 bytes of a text column value. PostgreSQL refuses an index entry over 2,704 bytes,
 * and some of our indexes hold two text columns; Clerk's ids, emails, slugs and keys are far shorter.
 */
export const MAX_TEXT_BYTES = 1_000;

/** Nesting kept in a JSON value; deeper values are replaced by CUT_MARKER. Clerk's own objects nest a handful of levels. */
export const MAX_JSON_DEPTH = 100;
export const CUT_MARKER = `[clerk-sync: cut here, nested deeper than ${MAX_JSON_DEPTH} levels]`;

const SUSPECT = /[\u0000\ud800-\udfff]/;

/** A string that any database stores as valid UTF-8: U+0000 and lone surrogates replaced (valid pairs stay). */
export function wellFormed(s: string): string {
  if (!SUSPECT.test(s)) return s;
  // toWellFormed (Node 20, ES2024) replaces lone surrogates with U+FFFD.
  return (s as string & { toWellFormed(): string }).toWellFormed().replaceAll('\u0000', REPLACEMENT_CHARACTER);
}

/** A `\u` escape of U+0000 or of a surrogate (lone or in a pair), in JSON text. */
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * False when JSON text, once parsed, certainly needs nothing from cleanJson, so the walk can be
 * skipped. In valid JSON decoded from UTF-8, U+0000 and surrogates can only come from `\u`
 * escapes (a raw control character is a syntax error, and UTF-8 cannot encode a surrogate), and
 * nesting deeper than MAX_JSON_DEPTH takes more than that many `{` and `[`. Conservative: an
 * escaped backslash before `u0000`, or brackets inside strings, only cost the walk.
 */
export function mayNeedCleaning(json: string): boolean {
  if (SUSPECT_ESCAPE.test(json)) return true;
  let brackets = 0;
  for (let at = json.indexOf('{'); at !== -1; at = json.indexOf('{', at + 1)) if (++brackets >= MAX_JSON_DEPTH) return true;
  for (let at = json.indexOf('['); at !== -1; at = json.indexOf('[', at + 1)) if (++brackets >= MAX_JSON_DEPTH) return true;
  return false;
}

/** A text column value: well-formed, and cut to MAX_TEXT_BYTES (at a character boundary). */
export function columnText(s: string): string {
  const clean = wellFormed(s);
  // Cheap first: a string of n UTF-16 units never takes more than 3n UTF-8 bytes.
  if (clean.length * 3 <= MAX_TEXT_BYTES || Buffer.byteLength(clean, 'utf8') <= MAX_TEXT_BYTES) return clean;
  let bytes = 0;
  let end = 0;
  for (const ch of clean) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > MAX_TEXT_BYTES) break;
    bytes += size;
    end += ch.length;
  }
  return clean.slice(0, end);
}

/**
 * An integer column value: a number with a fraction loses it; one beyond JavaScript's exact
 * integers (±2^53 − 1, far beyond any epoch millisecond) is no value at all.
 */
export function columnInteger(v: unknown): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  const n = Math.trunc(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** The range of an `integer` column (counts): 32 bits on PostgreSQL. */
const INT32_MAX = 2 ** 31 - 1;

/** An `integer` column value (a count): as columnInteger, and within 32 bits, else no value. */
export function columnCount(v: unknown): number | null {
  const n = columnInteger(v);
  return n !== null && Math.abs(n) <= INT32_MAX ? n : null;
}

/**
 * A JSON value fit for a JSON column and for code that walks it: keys and strings well-formed,
 * nesting cut at MAX_JSON_DEPTH (the cut subtree becomes CUT_MARKER). Returns the value itself
 * when nothing needed a change, so clean events cost a walk and no copy.
 */
export function cleanJson<T>(value: T): T {
  return clean(value, 0) as T;
}

/**
 * A JSON value to show (admin API, dashboard, CLI): as stored, but nesting cut at MAX_JSON_DEPTH
 * with CUT_MARKER where it was cut, so serializing and rendering it cannot run out of stack.
 */
export function shownJson<T>(value: T): T {
  return clean(value, 0, false) as T;
}

function clean(value: unknown, depth: number, strings = true): unknown {
  if (typeof value === 'string') return strings ? wellFormed(value) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_JSON_DEPTH) return CUT_MARKER;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const cleaned = clean(item, depth + 1, strings);
      if (cleaned !== item && copy === null) copy = value.slice(0, i);
      copy?.push(cleaned);
    }
    return copy ?? value;
  }
  let copy: Array<[string, unknown]> | null = null;
  const entries = Object.entries(value as Record<string, unknown>);
  for (let i = 0; i < entries.length; i++) {
    const [key, item] = entries[i]!;
    const cleanKey = strings ? wellFormed(key) : key;
    const cleaned = clean(item, depth + 1, strings);
    if ((cleaned !== item || cleanKey !== key) && copy === null) copy = entries.slice(0, i);
    copy?.push([cleanKey, cleaned]);
  }
  // fromEntries defines properties, so a key `__proto__` stays a key, as JSON.parse made it.
  return copy ? Object.fromEntries(copy) : value;
}

/**
 * The envelope `timestamp` in epoch milliseconds: Clerk sends ms; some examples and old payloads
 * carry seconds (with a fraction, even). Anything else, or beyond exact integers, is no time.
 */
export function envelopeTimeMs(timestamp: unknown): number | null {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp <= 0) return null;
  return columnInteger(Math.round(timestamp < 1e12 ? timestamp * 1000 : timestamp));
}
