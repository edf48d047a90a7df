import { sql } from 'kysely';
import type { Database } from '../store/database.js';
import type { ReconcileCounts } from './counts.js';
import type { ResourceSpec, StoredRow } from './resources.js';
import type { SeenIds } from './seen.js';

/** Most deletions a run may make per resource without --force: a count, or a share of the stored rows. */
export type DeleteCap = { count: number } | { percent: number };

/** The default cap: 5% of the stored rows, and never less than this many. */
export const DEFAULT_CAP_PERCENT = 5;
export const DEFAULT_CAP_FLOOR = 10;

/** Ids read per query: candidates stream through in chunks, so memory does not grow with the table. */
const CHUNK = 1000;
/** Rows deleted per transaction. */
const DELETE_CHUNK = 200;

export interface SweepOptions {
  database: Database;
  spec: ResourceSpec;
  seen: SeenIds;
  counts: ReconcileCounts;
  /** Rows of another instance are never touched; unknown (null): nothing is deleted. */
  instanceId: string | null;
  dryRun: boolean;
  /** Rows whose version is at or after this (ms) changed after the listing started: never swept. */
  guard: number;
  /** The listing did not stay contiguous: count, delete nothing. */
  shifted: boolean;
  cap?: DeleteCap;
  force: boolean;
  signal?: AbortSignal;
  /** Deletes rows as their `*.deleted` event would, counting into `counts`. */
  remove(rows: StoredRow[]): Promise<void>;
  onNote(note: string): void;
}


/**
 * The next CHUNK stored rows in id order after `after`: a plain walk of the primary key, whose
 * plan stays an index range scan even before PostgreSQL has statistics for the table (a first
 * reconcile into a fresh database); the conditions are checked here, on the slice.
 */
function slice(o: SweepOptions, after: string) {
  return sql<StoredRow>`select id, deleted_at, instance_id, updated_at, created_at
    from ${sql.table(o.spec.table)} where id > ${after} order by id limit ${CHUNK}`;
}

/** What the sweep may lose: not deleted, of this instance (or of none recorded), unchanged since the listing started. */
const candidate = (o: SweepOptions, row: StoredRow) =>
  row.deleted_at === null && (row.instance_id === null || row.instance_id === o.instanceId) && Number(row.updated_at ?? row.created_at ?? 0) < o.guard;

/** Walks the candidates in id order; `each` gets the ids Clerk did not list, chunk by chunk. */
async function walkGone(o: SweepOptions, each: (ids: string[]) => Promise<void>): Promise<boolean> {
  let after = '';
  for (;;) {
    if (o.signal?.aborted) return false;
    const { rows } = await slice(o, after).execute(o.database.db);
    if (rows.length === 0) return true;
    after = String(rows[rows.length - 1]!.id);
    const ids = rows.filter((r) => candidate(o, r)).map((r) => String(r.id));
    const gone = ids.length > 0 ? await o.seen.unseen(o.spec.name, ids) : [];
    if (gone.length > 0) await each(gone);
    if (rows.length < CHUNK) return true;
  }
}

function limitOf(cap: DeleteCap | undefined, stored: number): number {
  if (!cap) return Math.max(DEFAULT_CAP_FLOOR, Math.floor((stored * DEFAULT_CAP_PERCENT) / 100));
  return 'count' in cap ? cap.count : Math.floor((stored * cap.percent) / 100);
}

/**
 * The sweep of mark and sweep: counts the stored rows a complete listing did not find, then,
 * unless something says not to (a dry run, a shifted listing, an unknown instance, the cap),
 * deletes them. Answers false when the signal stopped it (the run resumes here).
 */
export async function sweep(o: SweepOptions): Promise<boolean> {
  let gone = 0;
  if (!(await walkGone(o, async (ids) => void (gone += ids.length)))) return false;
  o.counts.gone_from_clerk = gone;
  if (gone === 0 || o.dryRun) return true;

  const refuse = (note: string, capped = false) => {
    o.counts.note = note;
    o.counts.capped = capped;
    o.onNote(note);
    return true;
  };
  const label = o.spec.label;
  if (o.shifted) return refuse(`${gone} ${label} are gone from Clerk, but the listing was not contiguous (objects were deleted in Clerk while listing): nothing deleted; the next run deletes them`);
  if (o.instanceId === null) return refuse(`${gone} ${label} are gone from Clerk, but the key may not read /instance, so rows of other instances cannot be told apart: nothing deleted`);
  if (!o.force) {
    // The stored rows that could go: not deleted, of this instance (or of none recorded).
    const row = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(o.spec.table)}
      where deleted_at is null and (instance_id = ${o.instanceId} or instance_id is null)`.execute(o.database.db);
    const stored = Number(row.rows[0]?.n ?? 0);
    if (o.counts.listed === 0) {
      return refuse(`Clerk lists no ${label} at all, but ${stored} are stored: is CLERK_SECRET_KEY the key of the right instance? Nothing deleted; rerun with --force if Clerk really holds none now`, true);
    }
    const limit = limitOf(o.cap, stored);
    if (gone > limit) {
      const how = o.cap ? ('count' in o.cap ? `--max-deletes ${o.cap.count}` : `--max-deletes ${o.cap.percent}%`) : `the default cap (${DEFAULT_CAP_PERCENT}% of ${stored} stored, at least ${DEFAULT_CAP_FLOOR})`;
      return refuse(`${gone} of ${stored} stored ${label} are gone from Clerk, more than ${how} allows (${limit}): nothing deleted. Check that CLERK_SECRET_KEY is the right instance's key and the drift with --dry-run, then rerun with --max-deletes ${gone} or --force`, true);
    }
  }
  return walkGone(o, async (ids) => {
    for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
      const part = ids.slice(i, i + DELETE_CHUNK);
      // Read again and check again: a webhook may have changed a row since it was counted.
      const { rows } = await sql<StoredRow>`select * from ${sql.table(o.spec.table)} where id in (${sql.join(part)})`.execute(o.database.db);
      const still = rows.filter((row) => candidate(o, row));
      if (still.length > 0) await o.remove(still);
    }
  });
}
