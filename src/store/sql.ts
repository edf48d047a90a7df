
/**
 * SQL text with `?` placeholders and its parameters. The sync writes are few statement shapes run
 * very often with wide rows; written as text they skip Kysely's builder, plugin pass and compiler,
 * which cost about 100 µs for a 27-column upsert against about 25 µs for the statement itself
 * (measured on SQLite). The SQL stays portable; its dialect (dialect.ts) renders it for SQLite or
 * PostgreSQL, and a SqlWriter runs it.
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
