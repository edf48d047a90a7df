import type { Column, Table } from '../define.js';
import { camel, eventTypesNamed, header, jsDoc, type Dialect } from '../render.js';

/**
 * A Drizzle ORM schema (drizzle-orm 0.3x-0.4x, `pg-core` or `sqlite-core`): one table object per
 * table, named in camelCase (`clerkUsers`), with the columns under their SQL names
 * (`clerkUsers.primary_email_address`), JSON columns typed with `clerk-sync/events` types and
 * parsed, booleans as booleans and times as numbers on both databases; and the relations for
 * `db.query` (`with: { email_addresses: true }`).
 */
export function renderDrizzle(tables: readonly Table[], dialect: Dialect): string {
  const pg = dialect === 'postgres';
  const builders = new Set<string>([pg ? 'pgTable' : 'sqliteTable']);
  const use = (name: string) => (builders.add(name), name);
  const body: string[] = [];
  const names = new Set(tables.map((t) => t.name));

  const columnOf = (c: Column, t: Table): string => {
    let expr: string;
    switch (c.type) {
      case 'text':
        expr = `${use('text')}('${c.name}')`;
        break;
      case 'integer':
        expr = `${use('integer')}('${c.name}')`;
        break;
      case 'bigint':
        expr = pg ? `${use('bigint')}('${c.name}', { mode: 'number' })` : `${use('integer')}('${c.name}')`;
        break;
      case 'real':
        expr = `${use('real')}('${c.name}')`;
        break;
      case 'boolean':
        expr = pg ? `${use('boolean')}('${c.name}')` : `${use('integer')}('${c.name}', { mode: 'boolean' })`;
        break;
      case 'json':
        expr = pg ? `${use('jsonb')}('${c.name}')` : `${use('text')}('${c.name}', { mode: 'json' })`;
        break;
      case 'serial':
        expr = pg ? `${use('bigserial')}('${c.name}', { mode: 'number' })` : `${use('integer')}('${c.name}')`;
        break;
    }
    if (c.ts) expr += `.$type<${c.ts}>()`;
    if (c.type === 'serial') expr += pg ? '.primaryKey()' : '.primaryKey({ autoIncrement: true })';
    else if (t.primaryKey.length === 1 && t.primaryKey[0] === c.name) expr += '.primaryKey()';
    else if (!c.nullable) expr += '.notNull()';
    if (c.default !== null) expr += `.default(${c.default})`;
    return `${jsDoc(c.doc, '    ')}    ${c.name}: ${expr},`;
  };

  for (const t of tables) {
    const extras: string[] = [];
    if (t.primaryKey.length > 1) extras.push(`${use('primaryKey')}({ name: '${t.primaryKeyName}', columns: [${t.primaryKey.map((c) => `t.${c}`).join(', ')}] })`);
    for (const i of t.indexes) {
      let e = `${use(i.unique ? 'uniqueIndex' : 'index')}('${i.name}').on(${i.columns.map((c) => `t.${c}`).join(', ')})`;
      if (i.where) e += `.where(sql\`${i.where}\`)`;
      extras.push(e);
    }
    body.push(
      `${jsDoc(t.doc, '')}export const ${camel(t.name)} = ${pg ? 'pgTable' : 'sqliteTable'}(\n  '${t.name}',\n  {\n${t.columns.map((c) => columnOf(c, t)).join('\n')}\n  },` +
        (extras.length ? `\n  (t) => [\n${extras.map((e) => `    ${e},`).join('\n')}\n  ],` : '') +
        '\n);\n',
    );
  }

  // Relations, both sides, between the tables rendered.
  const one = new Map<string, string[]>();
  const many = new Map<string, string[]>();
  for (const t of tables) {
    for (const r of t.relations) {
      if (!names.has(r.table)) continue;
      const fields = r.columns.map((c) => `${camel(t.name)}.${c}`).join(', ');
      const refs = r.references.map((c) => `${camel(r.table)}.${c}`).join(', ');
      (one.get(t.name) ?? one.set(t.name, []).get(t.name)!).push(`  ${r.name}: one(${camel(r.table)}, { fields: [${fields}], references: [${refs}] }),`);
      (many.get(r.table) ?? many.set(r.table, []).get(r.table)!).push(`  ${r.inverse}: many(${camel(t.name)}),`);
    }
  }
  const relationBlocks: string[] = [];
  for (const t of tables) {
    const lines = [...(one.get(t.name) ?? []), ...(many.get(t.name) ?? [])];
    if (!lines.length) continue;
    const helpers = [one.has(t.name) && 'one', many.has(t.name) && 'many'].filter(Boolean).join(', ');
    relationBlocks.push(`export const ${camel(t.name)}Relations = relations(${camel(t.name)}, ({ ${helpers} }) => ({\n${lines.join('\n')}\n}));\n`);
  }

  const events = eventTypesNamed(tables);
  const needsSql = tables.some((t) => t.indexes.some((i) => i.where));
  return [
    header(pg ? 'drizzle-pg' : 'drizzle-sqlite', '//'),
    ...(relationBlocks.length || needsSql ? [`import { ${[...(relationBlocks.length ? ['relations'] : []), ...(needsSql ? ['sql'] : [])].join(', ')} } from 'drizzle-orm';`] : []),
    `import { ${[...builders].sort().join(', ')} } from 'drizzle-orm/${pg ? 'pg-core' : 'sqlite-core'}';`,
    ...(events.length ? [`import type { ${events.join(', ')} } from 'clerk-sync/events';`] : []),
    '',
    ...body,
    ...relationBlocks,
  ].join('\n');
}
