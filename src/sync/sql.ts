import { CompiledQuery, sql, type Kysely, type QueryResult } from 'kysely';
import { flushWrites, runLater, type Statement } from '../store/statement-batch.js';

/**
 * SQL text with `?` placeholders and its parameters. The sync writes are few statement shapes run
 * very often with wide rows; written as text they skip Kysely's builder, plugin pass and compiler,
 * which cost about 100 µs for a 27-column upsert against about 25 µs for the statement itself
 * (measured on SQLite). The SQL stays portable: it runs as is on SQLite and PostgreSQL.
 *
 * `{json}` in the text names the JSON column type (`jsonb` on PostgreSQL, `text` on SQLite), for
 * the few casts PostgreSQL cannot infer: `cast(? as {json})` inside a `case`.
 */
export class Fragment {
  constructor(
    readonly sql: string,
    readonly params: readonly unknown[] = [],
  ) {}
}

const templateTexts = new WeakMap<TemplateStringsArray, string>();

/** Tagged template: `q\`select 1 from t where id = ${id}\``; nested fragments are inlined. */
export function q(strings: TemplateStringsArray, ...values: unknown[]): Fragment {
  if (!values.some((v) => v instanceof Fragment)) {
    // The same call site always yields the same text: reuse one string (cheap to hash and compare).
    let text = templateTexts.get(strings);
    if (text === undefined) templateTexts.set(strings, (text = strings.join('?')));
    return new Fragment(text, values);
  }
  let text = strings[0]!;
  const params: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v instanceof Fragment) {
      text += v.sql;
      for (const p of v.params) params.push(p);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1]!;
  }
  return new Fragment(text, params);
}

/**
 * Memoizes generated statement texts by their shape (a short list of keys: table, column names,
 * the texts of expressions), so a statement run again reuses one string: building and hashing a
 * 2 KB text on every call costs more than running the statement on SQLite.
 */
export class TextCache {
  readonly #root = new Map<unknown, unknown>();
  #size = 0;

  get(shape: readonly unknown[], build: () => string): string {
    let node = this.#root;
    for (const key of shape) {
      let next = node.get(key) as Map<unknown, unknown> | undefined;
      if (next === undefined) node.set(key, (next = new Map()));
      node = next;
    }
    let text = node.get(TEXT) as string | undefined;
    if (text === undefined) {
      // Shapes are few (multi-row inserts vary by row count); bound it anyway.
      if (++this.#size > 2000) {
        this.#root.clear();
        this.#size = 0;
      }
      text = build();
      node.set(TEXT, text);
    }
    return text;
  }
}

const TEXT = Symbol('text');

/** A fixed piece of SQL (identifiers, keywords); never pass values through it. */
export function raw(text: string): Fragment {
  return new Fragment(text);
}

export function join(fragments: readonly Fragment[], separator = ', '): Fragment {
  let text = '';
  const params: unknown[] = [];
  for (let i = 0; i < fragments.length; i++) {
    const f = fragments[i]!;
    if (i > 0) text += separator;
    text += f.sql;
    for (const p of f.params) params.push(p);
  }
  return new Fragment(text, params);
}

/** `"name"`: generated statements quote every identifier (`key` is a keyword on SQLite). */
export function ident(name: string): string {
  return `"${name}"`;
}

type Dialect = 'sqlite' | 'postgres';

const dialects = new WeakMap<Kysely<any>, Dialect>();

/** Asked once per transaction through Kysely's public API: how does this dialect write a parameter? */
export function dialectOf(db: Kysely<any>): Dialect {
  let dialect = dialects.get(db);
  if (dialect === undefined) {
    dialect = sql`${0}`.compile(db).sql.startsWith('$') ? 'postgres' : 'sqlite';
    dialects.set(db, dialect);
  }
  return dialect;
}

const rendered: Record<Dialect, Map<string, string>> = { sqlite: new Map(), postgres: new Map() };

function render(text: string, dialect: Dialect): string {
  const cache = rendered[dialect];
  let out = cache.get(text);
  if (out === undefined) {
    if (dialect === 'postgres') {
      let n = 0;
      out = text.replace(/\?/g, () => `$${++n}`).replaceAll('{json}', 'jsonb');
    } else {
      out = text.replaceAll('{json}', 'text');
    }
    // Statement shapes are few (multi-row inserts vary by row count); bound it anyway.
    if (cache.size >= 1000) cache.clear();
    cache.set(text, out);
  }
  return out;
}

/** SQLite stores booleans as 0/1 and better-sqlite3 refuses to bind JS booleans. */
function sqliteParam(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v;
}

function compile(fragment: Fragment, dialect: Dialect): Statement {
  const params = dialect === 'sqlite' ? fragment.params.map(sqliteParam) : fragment.params.map((v) => (v === undefined ? null : v));
  return { sql: render(fragment.sql, dialect), parameters: params };
}

/** Runs a statement and returns its result; writes deferred on this transaction go first. */
export async function exec<R = Record<string, unknown>>(db: Kysely<any>, fragment: Fragment): Promise<QueryResult<R>> {
  await flushWrites(db);
  const { sql: text, parameters } = compile(fragment, dialectOf(db));
  return db.executeQuery<R>(CompiledQuery.raw(text, parameters as unknown[]));
}

/** Runs a statement whose result nobody reads; deferred when the transaction defers writes (see deferWrites). */
export function run(db: Kysely<any>, fragment: Fragment): Promise<void> {
  return runLater(db, compile(fragment, dialectOf(db)));
}
