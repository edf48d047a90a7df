import type { Table } from '../define.js';
import { header, physicalType, type Dialect } from '../render.js';

/**
 * The tables as SQL DDL, exactly as the migrations leave them (test/tables-agree.test.ts runs it on
 * an empty database and compares): for review, and for tools that read DDL (sqlc, schema diffs).
 * clerk-sync creates and migrates its tables itself (`clerk-sync migrate`).
 */
export function renderSql(tables: readonly Table[], dialect: Dialect): string {
  const out = [header(dialect === 'postgres' ? 'sql-pg' : 'sql-sqlite', '--'), ''];
  for (const t of tables) {
    out.push(`-- ${t.doc}`);
    const lines = t.columns.map((c) => {
      if (c.type === 'serial') return `  ${c.name} ${dialect === 'postgres' ? 'bigserial primary key' : 'integer primary key autoincrement'}`;
      const pk = t.primaryKey.length === 1 && t.primaryKey[0] === c.name ? ' primary key' : '';
      const notNull = !c.nullable && !pk ? ' not null' : '';
      const def = c.default === null ? '' : ` default ${c.default}`;
      return `  ${c.name} ${physicalType(c, dialect)}${notNull}${def}${pk}`;
    });
    if (t.primaryKey.length > 1) lines.push(`  constraint ${t.primaryKeyName} primary key (${t.primaryKey.join(', ')})`);
    out.push(`create table ${t.name} (\n${lines.join(',\n')}\n);`);
    for (const i of t.indexes) {
      out.push(`create ${i.unique ? 'unique ' : ''}index ${i.name} on ${t.name} (${i.columns.join(', ')})${i.where ? ` where ${i.where}` : ''};`);
    }
    out.push('');
  }
  return out.join('\n');
}
