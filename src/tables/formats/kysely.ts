import type { Column, Table } from '../define.js';
import { eventTypesNamed, header, jsDoc, pascal } from '../render.js';

function tsType(c: Column): string {
  switch (c.type) {
    case 'text':
      return c.ts ?? 'string';
    case 'integer':
    case 'bigint':
    case 'real':
      return 'number';
    case 'boolean':
      return 'SqlBool';
    case 'json':
      return `Json<${c.ts ?? 'unknown'}>`;
    case 'serial':
      return 'Generated<number>';
  }
}

/**
 * Kysely table interfaces and `ClerkSyncTables`, to extend the app's own database interface
 * (`interface Database extends ClerkSyncTables { posts: PostsTable }`). One rendering serves both
 * databases; what differs is said where it matters: JSON columns are parsed on PostgreSQL and
 * need Kysely's ParseJSONResultsPlugin on SQLite; booleans are 0/1 on SQLite (`SqlBool`); times
 * are numbers once pg parses int8 as numbers (clerk-sync sets that when it is loaded).
 */
export function renderKysely(tables: readonly Table[]): string {
  const events = eventTypesNamed(tables);
  const interfaces = tables.map((t) => {
    const fields = t.columns.map((c) => `${jsDoc(c.doc, '  ')}  ${c.name}: ${tsType(c)}${c.nullable ? ' | null' : ''};`);
    return `${jsDoc(t.doc, '')}export interface ${pascal(t.name)}Table {\n${fields.join('\n')}\n}\n`;
  });
  return [
    header('kysely', '//'),
    `import type { ColumnType${tables.some((t) => t.columns.some((c) => c.type === 'serial')) ? ', Generated' : ''}, SqlBool } from 'kysely';`,
    ...(events.length ? [`import type { ${events.join(', ')} } from 'clerk-sync/events';`] : []),
    '',
    '/**',
    ' * A JSON column: `T` when read (PostgreSQL parses jsonb; on SQLite, add Kysely\'s',
    ' * ParseJSONResultsPlugin), JSON text when written.',
    ' */',
    'export type Json<T> = ColumnType<T, string, string>;',
    '',
    ...interfaces,
    'export interface ClerkSyncTables {',
    ...tables.map((t) => `  ${t.name}: ${pascal(t.name)}Table;`),
    '}',
    '',
  ].join('\n');
}
