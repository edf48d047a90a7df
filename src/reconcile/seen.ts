import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction } from 'kysely';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase } from '../store/schema.js';

type Trx = Transaction<ClerkSyncDatabase>;

/**
 * The "mark" of mark and sweep: the ids a listing found, per resource, kept on disk so a run's
 * memory does not grow with the instance. The sweep asks it which stored ids it has not seen.
 */
export interface SeenIds {
  /** Forgets the ids of a resource (its listing starts over); `trx`: with the page that found the listing shifted. */
  clear(resource: string, trx?: Trx): Promise<void>;
  /** Remembers ids; `trx`: commit them with the page they came from (the database's own table). */
  mark(resource: string, ids: readonly string[], trx?: Trx): Promise<void>;
  /** The ids of `ids` not seen. */
  unseen(resource: string, ids: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Chunks stay under SQLite's 32 766 bound parameters and PostgreSQL's 65 535. */
const CHUNK = 1000;

function* chunks<T>(list: readonly T[]): Generator<T[]> {
  for (let i = 0; i < list.length; i += CHUNK) yield list.slice(i, i + CHUNK);
}

/** In the synced database (clerk_sync_reconcile_seen): commits with each page, so a resumed run keeps what it saw. */
export function seenInDatabase(database: Database): SeenIds {
  return {
    async clear(resource, trx) {
      await (trx ?? database.db).deleteFrom('clerk_sync_reconcile_seen').where('resource', '=', resource).execute();
    },
    async mark(resource, ids, trx) {
      for (const part of chunks(ids)) {
        await (trx ?? database.db).insertInto('clerk_sync_reconcile_seen').values(part.map((id) => ({ resource, id }))).onConflict((oc) => oc.columns(['resource', 'id']).doNothing()).execute();
      }
    },
    async unseen(resource, ids) {
      const seen = new Set<string>();
      for (const part of chunks(ids)) {
        const rows = await database.db.selectFrom('clerk_sync_reconcile_seen').select('id').where('resource', '=', resource).where('id', 'in', part).execute();
        for (const r of rows) seen.add(r.id);
      }
      return ids.filter((id) => !seen.has(id));
    },
    async close() {},
  };
}

/** In a scratch SQLite file of its own, removed on close: what a dry run uses, so it writes nothing to the synced database. */
export function seenInScratchFile(): SeenIds {
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-reconcile-'));
  const db = new BetterSqlite3(join(dir, 'seen.db'));
  db.pragma('journal_mode = off');
  db.pragma('synchronous = off');
  db.exec('create table seen (resource text not null, id text not null, primary key (resource, id)) without rowid');
  const insert = db.prepare('insert or ignore into seen (resource, id) values (?, ?)');
  const has = db.prepare('select 1 from seen where resource = ? and id = ?').pluck();
  const markAll = db.transaction((resource: string, ids: readonly string[]) => {
    for (const id of ids) insert.run(resource, id);
  });
  return {
    async clear(resource) {
      db.prepare('delete from seen where resource = ?').run(resource);
    },
    async mark(resource, ids) {
      markAll(resource, ids);
    },
    async unseen(resource, ids) {
      return ids.filter((id) => has.get(resource, id) === undefined);
    },
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
