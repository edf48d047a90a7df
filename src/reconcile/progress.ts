import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase } from '../store/schema.js';
import { emptyCounts, type ReconcileCounts } from './counts.js';

type Db = Kysely<ClerkSyncDatabase> | Transaction<ClerkSyncDatabase>;

/**
 * Where a listing of one resource stands, so an interrupted run resumes at the first page not
 * committed. Every resource of a run is saved `pending` when the run starts, all with the run's
 * start as `startedAt`: resuming continues exactly the resources of that run.
 */
export interface ListingProgress {
  /** Which Clerk instance (API URL and a fingerprint of the key): another one's progress is not resumed. */
  source: string;
  status: 'pending' | 'running' | 'listed' | 'done';
  /** Which of the resource's listings (ResourceSpec.paths) is under way. */
  part: number;
  nextOffset: number;
  total: number | null;
  /** Objects listed so far. */
  imported: number;
  /** The last ids of the committed page: the next page must contain one of them to continue it. */
  anchor: string[];
  /** When the listing started (the run's start if it resumed): rows changed after it are never swept. */
  listingStartedAt: number;
  /** A page did not continue the one before, so the listing may have missed objects: nothing is swept. */
  shifted: boolean;
  counts: ReconcileCounts;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface ProgressStore {
  load(): Promise<Map<string, ListingProgress>>;
  save(db: Db, resource: string, progress: ListingProgress): Promise<void>;
}

const anchorOf = (text: string | null): string[] => {
  try {
    const parsed = text ? (JSON.parse(text) as unknown) : [];
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

/** Reconcile's progress: clerk_sync_reconcile_progress. */
export function reconcileProgress(database: Database): ProgressStore {
  return {
    async load() {
      const rows = await database.db.selectFrom('clerk_sync_reconcile_progress').selectAll().execute();
      return new Map(rows.map((r) => [r.resource, {
        source: r.source,
        status: r.status,
        part: Number(r.part),
        nextOffset: Number(r.next_offset),
        total: r.total === null ? null : Number(r.total),
        imported: Number(r.imported),
        anchor: anchorOf(r.anchor),
        listingStartedAt: Number(r.listing_started_at),
        shifted: Number(r.shifted) === 1,
        counts: { ...emptyCounts(), ...(JSON.parse(r.counts) as Partial<ReconcileCounts>) },
        startedAt: Number(r.started_at),
        updatedAt: Number(r.updated_at),
        finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      }]));
    },
    async save(db, resource, p) {
      const row = {
        source: p.source, status: p.status, part: p.part, next_offset: p.nextOffset, total: p.total, imported: p.imported, anchor: JSON.stringify(p.anchor),
        listing_started_at: p.listingStartedAt, shifted: p.shifted ? 1 : 0, counts: JSON.stringify(p.counts), started_at: p.startedAt, updated_at: p.updatedAt, finished_at: p.finishedAt,
      };
      await db.insertInto('clerk_sync_reconcile_progress').values({ resource, ...row }).onConflict((oc) => oc.column('resource').doUpdateSet(row)).execute();
    },
  };
}

/**
 * Backfill's progress: clerk_sync_backfill, as before reconcile existed (`running` or `done`, one
 * row per resource), so what people and scripts read there stays true.
 */
export function backfillProgress(database: Database): ProgressStore {
  return {
    async load() {
      const rows = await database.db.selectFrom('clerk_sync_backfill').selectAll().execute();
      return new Map(rows.map((r) => [r.resource, {
        source: r.source,
        status: r.status === 'done' ? 'done' : Number(r.next_offset) === 0 && !r.part ? 'pending' : 'running',
        part: Number(r.part ?? 0),
        nextOffset: Number(r.next_offset),
        total: r.total === null ? null : Number(r.total),
        imported: Number(r.imported),
        anchor: anchorOf(r.anchor),
        listingStartedAt: Number(r.started_at),
        shifted: false,
        counts: { ...emptyCounts(), listed: Number(r.imported) },
        startedAt: Number(r.started_at),
        updatedAt: Number(r.updated_at),
        finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      }]));
    },
    async save(db, resource, p) {
      const row = {
        source: p.source, status: p.status === 'done' ? ('done' as const) : ('running' as const), part: p.part, next_offset: p.nextOffset, total: p.total,
        imported: p.counts.listed - p.counts.failed, started_at: p.startedAt, updated_at: p.updatedAt, finished_at: p.finishedAt, anchor: JSON.stringify(p.anchor),
      };
      await db.insertInto('clerk_sync_backfill').values({ resource, ...row }).onConflict((oc) => oc.column('resource').doUpdateSet(row)).execute();
    },
  };
}
