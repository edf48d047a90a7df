import type { Column, Table } from '../define.js';
import { header, pascal } from '../render.js';

const TYPES: Record<Column['type'], string> = {
  text: 'String',
  integer: 'Int',
  bigint: 'BigInt',
  real: 'Float',
  boolean: 'Boolean',
  json: 'Json',
  serial: 'BigInt',
};

/**
 * Prisma models (Prisma 6.x-7.x, PostgreSQL or SQLite alike), for a schema folder beside the
 * app's own `schema.prisma`: no datasource or generator here. Models are named in PascalCase
 * (`ClerkUsers`, mapped to `clerk_users`), fields keep their SQL names. Relations are all
 * optional: webhooks arrive in any order, so a row's user or organization may not be there yet.
 * What Prisma cannot say is left out, with a comment: partial indexes, and JSON value types
 * (Prisma reads every `Json` as `JsonValue`; the type is named in each field's comment).
 */
export function renderPrisma(tables: readonly Table[]): string {
  const names = new Set(tables.map((t) => t.name));
  // Two relations between the same pair of models need a name to tell them apart.
  const pairs = new Map<string, number>();
  const pairKey = (a: string, b: string) => [a, b].sort().join(' ');
  for (const t of tables) for (const r of t.relations) if (names.has(r.table)) pairs.set(pairKey(t.name, r.table), (pairs.get(pairKey(t.name, r.table)) ?? 0) + 1);
  const relationName = (t: Table, r: Table['relations'][number]) => (pairs.get(pairKey(t.name, r.table))! > 1 ? `"${t.name}_${r.name}", ` : '');

  const back = new Map<string, string[]>();
  for (const t of tables) {
    for (const r of t.relations) {
      if (!names.has(r.table)) continue;
      (back.get(r.table) ?? back.set(r.table, []).get(r.table)!).push(`  ${r.inverse} ${pascal(t.name)}[]${relationName(t, r) ? ` @relation(${relationName(t, r).slice(0, -2)})` : ''}`);
    }
  }

  const models = tables.map((t) => {
    const lines: string[] = [];
    for (const c of t.columns) {
      if (c.doc || c.ts) lines.push(`  /// ${[c.doc, c.ts && c.type === 'json' ? `JSON: ${c.ts}` : null].filter(Boolean).join(' ')}`);
      const attrs: string[] = [];
      if (c.type === 'serial') attrs.push('@id @default(autoincrement())');
      else if (t.primaryKey.length === 1 && t.primaryKey[0] === c.name) attrs.push('@id');
      if (c.default !== null) attrs.push(`@default(${c.default})`);
      lines.push(`  ${c.name} ${TYPES[c.type]}${c.nullable ? '?' : ''}${attrs.length ? ` ${attrs.join(' ')}` : ''}`);
    }
    for (const r of t.relations) {
      if (!names.has(r.table)) continue;
      lines.push(`  ${r.name} ${pascal(r.table)}? @relation(${relationName(t, r)}fields: [${r.columns.join(', ')}], references: [${r.references.join(', ')}])`);
    }
    lines.push(...(back.get(t.name) ?? []));
    lines.push('');
    // No `map:` on a composite key: Prisma refuses key names on SQLite, and never uses them to read.
    if (t.primaryKey.length > 1) lines.push(`  @@id([${t.primaryKey.join(', ')}])`);
    for (const i of t.indexes) {
      if (i.where) {
        lines.push(`  // ${i.unique ? 'unique ' : ''}index ${i.name} (${i.columns.join(', ')}) where ${i.where}: a partial index, which Prisma cannot describe`);
        continue;
      }
      lines.push(`  @@${i.unique ? 'unique' : 'index'}([${i.columns.join(', ')}], map: "${i.name}")`);
    }
    lines.push(`  @@map("${t.name}")`);
    return `/// ${t.doc}\nmodel ${pascal(t.name)} {\n${lines.join('\n')}\n}\n`;
  });
  return [header('prisma', '//'), '', ...models].join('\n');
}
