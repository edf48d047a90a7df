import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

const CHILDREN = ['clerk_user_email_addresses', 'clerk_user_phone_numbers', 'clerk_user_external_accounts', 'clerk_user_web3_wallets'];

/**
 * A primary key (user_id, id) on a user's email addresses, phone numbers, external accounts and
 * web3 wallets, which had none: ORMs need one to address a row (Prisma refuses a model without),
 * and it states what the sync already kept (Clerk's id, distinct within a user's set). Rows
 * without an id (a payload that omitted it) cannot be addressed and go; the user's payload still
 * holds them. The key's index serves lookups by user, so the `_user` index goes too.
 */
export function userChildKeysMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      for (const table of CHILDREN) {
        if (dialect === 'postgres') {
          await sql`delete from ${sql.table(table)} where id is null`.execute(db);
          await sql`delete from ${sql.table(table)} a using ${sql.table(table)} b
            where a.user_id = b.user_id and a.id = b.id and a.ctid < b.ctid`.execute(db);
          await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_pk`)} primary key (user_id, id)`.execute(db);
          await sql`drop index ${sql.table(`${table}_user`)}`.execute(db);
          continue;
        }
        // SQLite adds no key to a table: rebuild it, with the columns and indexes it has now.
        const { rows: columns } = await sql<{ name: string; type: string; notnull: number }>`select name, type, "notnull" from pragma_table_info(${table}) order by cid`.execute(db);
        const { rows: indexes } = await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'index' and tbl_name = ${table} and sql is not null`.execute(db);
        const definitions = columns.map((c) => sql`${sql.id(c.name)} ${sql.raw(c.type)}${sql.raw(c.notnull || c.name === 'id' ? ' not null' : '')}`);
        const rebuilt = `${table}_rebuilt`;
        await sql`create table ${sql.table(rebuilt)} (${sql.join(definitions)}, constraint ${sql.id(`${table}_pk`)} primary key (user_id, id))`.execute(db);
        const names = sql.join(columns.map((c) => sql.id(c.name)));
        await sql`insert or ignore into ${sql.table(rebuilt)} (${names}) select ${names} from ${sql.table(table)} where id is not null`.execute(db);
        await sql`drop table ${sql.table(table)}`.execute(db);
        await sql`alter table ${sql.table(rebuilt)} rename to ${sql.table(table)}`.execute(db);
        for (const index of indexes) if (index.name !== `${table}_user`) await sql.raw(index.sql).execute(db);
      }
    },
  };
}
