import ts from 'typescript';
import type { DialectName } from '../../src/store/dialect.js';
import type { SchemaShape, TableShape } from './introspect.js';

/*
 * Each ORM's own reading of a rendered schema, in the terms of introspect.ts, so that a test can
 * hold it against the database: Drizzle's table configs, the Prisma models' text, and what the
 * TypeScript compiler sees in Kysely interfaces.
 */

const index = (columns: string[], unique: boolean, partial: boolean) => `${unique ? 'unique ' : ''}index (${columns.join(', ')})${partial ? ' partial' : ''}`;
const column = (type: string, notNull: boolean, dflt: unknown) => `${type}${notNull ? ' not null' : ''}${dflt === undefined || dflt === null ? '' : ` default ${String(dflt)}`}`;

/** The tables a Drizzle schema module exports, as drizzle-orm describes them. */
export async function drizzleShape(module: Record<string, unknown>, dialect: DialectName): Promise<SchemaShape> {
  const { is, Table, getTableName } = await import('drizzle-orm');
  const core = dialect === 'postgres' ? await import('drizzle-orm/pg-core') : await import('drizzle-orm/sqlite-core');
  const shape: SchemaShape = {};
  for (const value of Object.values(module)) {
    if (!is(value, Table)) continue;
    const config = (core.getTableConfig as (t: unknown) => any)(value);
    const t: TableShape = { columns: {}, primaryKey: [], indexes: {} };
    for (const c of config.columns) {
      // bigserial: drizzle's name for a bigint with a sequence behind it.
      const type = c.getSQLType() === 'bigserial' ? 'bigint' : c.getSQLType();
      t.columns[c.name] = column(type, c.notNull || c.primary, c.columnType.endsWith('Serial') || c.autoIncrement ? undefined : c.default);
      if (c.primary) t.primaryKey = [c.name];
    }
    for (const pk of config.primaryKeys) t.primaryKey = pk.columns.map((c: { name: string }) => c.name);
    for (const i of config.indexes) t.indexes[i.config.name] = index(i.config.columns.map((c: { name: string }) => c.name), i.config.unique, i.config.where !== undefined);
    shape[getTableName(value as never)] = t;
  }
  return shape;
}

const PRISMA_TYPES: Record<string, { postgres: string; sqlite: string }> = {
  String: { postgres: 'text', sqlite: 'text' },
  Int: { postgres: 'integer', sqlite: 'integer' },
  BigInt: { postgres: 'bigint', sqlite: 'bigint' },
  Float: { postgres: 'real', sqlite: 'real' },
  Boolean: { postgres: 'boolean', sqlite: 'integer' },
  Json: { postgres: 'jsonb', sqlite: 'text' },
};

/**
 * The models of a Prisma schema, read from its text: scalar fields (type, `?`, `@id`, `@default`),
 * `@@id`, `@@index`, `@@unique` and `@@map`. Relation fields name a model and are not columns.
 * An autoincrementing BigInt id is the database's serial (`integer` on SQLite).
 */
export function prismaShape(text: string, dialect: DialectName): SchemaShape {
  const shape: SchemaShape = {};
  for (const m of text.matchAll(/^model (\w+) \{\n([\s\S]*?)\n\}/gm)) {
    const t: TableShape = { columns: {}, primaryKey: [], indexes: {} };
    let table = m[1]!;
    for (const raw of m[2]!.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('//')) continue;
      const attr = /^@@(\w+)\((.*)\)$/.exec(line);
      if (attr) {
        const [, kind, args] = attr;
        const cols = /^\[([^\]]*)\]/.exec(args!)?.[1]?.split(',').map((s) => s.trim());
        const map = /map: "([^"]+)"/.exec(args!)?.[1];
        if (kind === 'map') table = /"([^"]+)"/.exec(args!)![1]!;
        else if (kind === 'id') t.primaryKey = cols!;
        else if (kind === 'index' || kind === 'unique') t.indexes[map!] = index(cols!, kind === 'unique', false);
        continue;
      }
      const field = /^(\w+) (\w+)(\?|\[\])?(.*)$/.exec(line);
      if (!field) throw new Error(`cannot read this line of model ${m[1]}: ${line}`);
      const [, name, type, modifier, rest] = field;
      if (!PRISMA_TYPES[type!]) continue; // a relation field
      const serial = /@default\(autoincrement\(\)\)/.test(rest!);
      const dflt = /@default\((-?\d+)\)/.exec(rest!)?.[1];
      const physical = serial && dialect === 'sqlite' ? 'integer' : PRISMA_TYPES[type!]![dialect];
      const isId = /@id\b/.test(rest!);
      t.columns[name!] = column(physical, modifier !== '?' || isId, dflt);
      if (isId) t.primaryKey = [name!];
    }
    shape[table] = t;
  }
  return shape;
}

/** Table → column → whether it may be null, as TypeScript reads `interfaceName` (a map of tables) in `file`. */
export function typeScriptColumns(file: string, interfaceName: string): Record<string, Record<string, boolean>> {
  const program = ts.createProgram([file], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, noEmit: true, target: ts.ScriptTarget.ES2022 });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (errors.length) throw new Error(`${file} does not compile:\n${errors.join('\n')}`);
  const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((s) => s.name === interfaceName);
  if (!symbol) throw new Error(`${file} declares no interface ${interfaceName}`);
  const out: Record<string, Record<string, boolean>> = {};
  for (const table of checker.getDeclaredTypeOfSymbol(symbol).getProperties()) {
    const columns: Record<string, boolean> = {};
    for (const c of checker.getTypeOfSymbol(table).getProperties()) {
      const type = checker.getTypeOfSymbol(c);
      columns[c.name] = type.isUnion() && type.types.some((t) => (t.flags & ts.TypeFlags.Null) !== 0);
    }
    out[table.name] = columns;
  }
  return out;
}
