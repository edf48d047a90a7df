import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { cleanJson, columnInteger } from '../events/content.js';
import type { Database } from '../store/database.js';
import { sqlDialect } from '../store/dialect.js';
import { acquireLease, isLease, type Lease } from '../store/lease.js';
import type { ClerkSyncDatabase } from '../store/schema.js';
import { SqlWriter } from '../store/sql-writer.js';
import type { SyncContext } from '../sync/context.js';
import { applyEvent } from '../sync/apply.js';
import type { Payload } from '../sync/values.js';
import { ClerkApiError, type ClerkApi } from './clerk-api.js';
import { emptyCounts, type ReconcileCounts } from './counts.js';
import { backfillProgress, reconcileProgress, type ListingProgress, type ProgressStore } from './progress.js';
import { RECONCILE_RESOURCES, RESOURCES, type ReconcileResource, type ResourceSpec, type StoredRow } from './resources.js';
import { finishRun, startRun, updateRun, type ReconcileTrigger } from './runs.js';
import { seenInDatabase, seenInScratchFile, type SeenIds } from './seen.js';
import { sweep, type DeleteCap } from './sweep.js';

type Trx = Transaction<ClerkSyncDatabase>;

/** The lease that lets one reconcile at a time run, across every process on the database. */
export const RECONCILE_LEASE = 'reconcile';
const LEASE_TTL_MS = 120_000;
/** Rows changed this close before the listing started are never swept: Clerk's clock and ours differ a little. */
export const DEFAULT_CLOCK_MARGIN_MS = 60_000;

export interface ReconcileOptions {
  database: Database;
  api: ClerkApi;
  /** Identifies the Clerk instance (API URL and key fingerprint), so progress of another one is not resumed. */
  source: string;
  /** Default: every resource, in dependency order. */
  resources?: readonly ReconcileResource[];
  /** false: only apply what Clerk lists, never delete (backfill). Default true. */
  deletions?: boolean;
  /** Classify and count only; write nothing. */
  dryRun?: boolean;
  /** Most deletions per resource without `force`. Default: 5% of its stored rows, at least 10. */
  maxDeletes?: DeleteCap;
  force?: boolean;
  /** 1-500; default 500 (Clerk's maximum). */
  pageSize?: number;
  /** Ignore stored progress and start over. */
  restart?: boolean;
  /** Once aborted, the page in flight is committed and the run stops, resumable. */
  signal?: AbortSignal;
  /** Recorded with the run. Default `cli`. */
  trigger?: ReconcileTrigger;
  clockMarginMs?: number;
  /** Where progress is kept; default clerk_sync_reconcile_progress (clerk_sync_backfill without deletions). */
  progress?: ProgressStore;
  onStart?: (resource: ReconcileResource, state: { resumedAt: number | null; listed: number; total: number | null; skipped: boolean }) => void;
  onPage?: (resource: ReconcileResource, page: { count: number; total: number | null }) => void;
  /** Something a person should know (a refused deletion, a listing that shifted). */
  onNote?: (resource: ReconcileResource, note: string) => void;
}

export interface ResourceOutcome {
  resource: ReconcileResource;
  counts: ReconcileCounts;
  /** Offset this run resumed at, or null for a fresh start. */
  resumedAt: number | null;
  /** Finished by the interrupted run this one resumed: nothing done now. */
  skipped: boolean;
  /** Objects the sync refused, with why (at most 100 kept). */
  failures: Array<{ id: string | null; error: string }>;
}

export interface ReconcileResult {
  runId: number | null;
  instanceId: string | null;
  resources: ResourceOutcome[];
  /** Stopped by the signal: run again to resume. */
  interrupted: boolean;
  status: 'succeeded' | 'capped' | 'interrupted';
}

/** Another process runs a reconcile now. */
export class ReconcileBusyError extends Error {
  constructor(readonly holder: string, readonly expiresAt: number) {
    super(`another reconcile is running (${holder}); one runs at a time across all processes. Wait for it to finish, or, if that process died, for its lease to expire (${new Date(expiresAt).toISOString()})`);
    this.name = 'ReconcileBusyError';
  }
}

/** The key belongs to another Clerk instance than the data in the tables. */
export class WrongInstanceError extends Error {
  constructor(readonly keyInstance: string, readonly storedInstance: string) {
    super(`the secret key is for Clerk instance ${keyInstance}, but the synced tables hold ${storedInstance}'s data and none of ${keyInstance}'s. Use the Secret Key of ${storedInstance} (Clerk Dashboard → API keys, with that instance selected); --force reconciles anyway, touching only rows of ${keyInstance}`);
    this.name = 'WrongInstanceError';
  }
}

/** Times a resource is listed again, in one run, when objects deleted meanwhile shift its listing. */
const MAX_RELISTS = 2;

/** How many ids of the page before the next page re-reads, to prove the two are contiguous. */
function overlapFor(pageSize: number): number {
  return pageSize < 2 ? 0 : Math.max(1, Math.min(20, Math.floor(pageSize / 5)));
}

const idOf = (item: Payload): string | null => (typeof item.id === 'string' && item.id !== '' ? item.id : null);
const idsOf = (items: readonly Payload[]): string[] => items.map(idOf).filter((id): id is string => id !== null);
/** Where in `items` the last of the previous page's last ids is; -1 when none of them is there. */
const anchorIn = (items: readonly Payload[], anchor: readonly string[]): number => {
  const ids = new Set(anchor);
  return items.findLastIndex((item) => ids.has(idOf(item) ?? ''));
};
const versionOf = (item: Payload): number | null => columnInteger(item.updated_at) ?? columnInteger(item.created_at);

/** Runs one change (an upsert or a deletion) under a savepoint, so a bad object does not undo its page. */
async function inSavepoint(trx: Trx, work: () => Promise<void>): Promise<string | null> {
  await sql`savepoint clerk_sync_reconcile`.execute(trx);
  try {
    await work();
    await sql`release savepoint clerk_sync_reconcile`.execute(trx);
    return null;
  } catch (error) {
    await sql`rollback to savepoint clerk_sync_reconcile`.execute(trx);
    await sql`release savepoint clerk_sync_reconcile`.execute(trx);
    return error instanceof Error ? error.message : String(error);
  }
}

function syncContext(trx: Trx, database: Database, eventTime: number, instanceId: string | null): SyncContext {
  return { sql: new SqlWriter(trx, sqlDialect(database.dialect)), eventTime, instanceId };
}

/** Each listed object, against the stored row of the same id: what differs. */
async function classify(db: Database['db'] | Trx, spec: ResourceSpec, items: readonly Payload[]): Promise<Array<keyof Pick<ReconcileCounts, 'in_sync' | 'newer_in_clerk' | 'missing_locally' | 'local_newer'>>> {
  const ids = idsOf(items);
  const stored = new Map<string, { updated_at: unknown; deleted_at: unknown }>();
  if (ids.length > 0) {
    const rows = await sql<{ id: string; updated_at: unknown; deleted_at: unknown }>`select id, updated_at, deleted_at from ${sql.table(spec.table)} where id in (${sql.join(ids)})`.execute(db);
    for (const r of rows.rows) stored.set(r.id, r);
  }
  return items.map((item) => {
    const local = stored.get(idOf(item) ?? '');
    if (!local) return 'missing_locally';
    if (local.deleted_at !== null) return 'local_newer';
    const mine = local.updated_at === null ? null : Number(local.updated_at);
    const theirs = versionOf(item);
    if (mine === null || (theirs !== null && theirs > mine)) return 'newer_in_clerk';
    return theirs === mine ? 'in_sync' : 'local_newer';
  });
}

/**
 * Whether the key's instance is the one whose data the tables hold: refused when they hold
 * another instance's rows and none of this one's (a production database, a development key).
 */
async function checkInstance(database: Database, instanceId: string, resources: readonly ReconcileResource[]): Promise<void> {
  let foreign: string | null = null;
  for (const r of resources) {
    const table = sql.table(RESOURCES[r].table);
    const own = await sql`select 1 as x from ${table} where instance_id = ${instanceId} limit 1`.execute(database.db);
    if (own.rows.length > 0) return;
    const other = await sql<{ instance_id: string }>`select instance_id from ${table} where instance_id is not null and instance_id <> ${instanceId} limit 1`.execute(database.db);
    foreign ??= other.rows[0]?.instance_id ?? null;
  }
  if (foreign) throw new WrongInstanceError(instanceId, foreign);
}

/**
 * Brings the synced tables to what Clerk's Backend API lists now, through the same sync as
 * webhooks: an object applies only when newer than the stored row (its own `updated_at` is its
 * version) and never over a tombstone. With `deletions`, every stored row of a resource that a
 * complete, contiguous listing did not find, and that did not change after the listing started,
 * is deleted as its `*.deleted` event would (tombstone, erasure, cascades), within a cap.
 *
 * Each page's changes, the ids it found and the progress commit together: an interrupted run
 * resumes at the first page not committed. A dry run writes nothing.
 */
export async function runReconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const { database, api } = options;
  const deletions = options.deletions ?? true;
  const dryRun = options.dryRun ?? false;
  const pageSize = options.pageSize ?? 500;
  const overlap = overlapFor(pageSize);
  const selected = RECONCILE_RESOURCES.filter((r) => (options.resources ?? RECONCILE_RESOURCES).includes(r));
  // Backfill keeps its own record (clerk_sync_backfill); a dry run writes nothing at all.
  const record = deletions && !dryRun;

  // One run at a time: two would sweep with each other's marks.
  let lease: Lease | null = null;
  if (deletions && !dryRun) {
    const got = await acquireLease(database, RECONCILE_LEASE, `${process.pid}@${randomUUID().slice(0, 8)}`, LEASE_TTL_MS);
    if (!isLease(got)) throw new ReconcileBusyError(got.heldBy.holder, got.heldBy.expiresAt);
    lease = got;
  }
  const store = options.progress ?? (deletions ? reconcileProgress(database) : backfillProgress(database));
  const seen: SeenIds | null = !deletions ? null : dryRun ? seenInScratchFile() : seenInDatabase(database);
  const result: ReconcileResult = { runId: null, instanceId: null, resources: [], interrupted: false, status: 'succeeded' };
  const countsOf = () => Object.fromEntries(result.resources.map((o) => [o.resource, o.counts]));
  try {
    if (record) result.runId = await startRun(database, { mode: dryRun ? 'dry-run' : 'apply', trigger: options.trigger ?? 'cli', resources: selected });
    const instanceId = await api.instanceId();
    result.instanceId = instanceId;
    if (instanceId && !options.force) await checkInstance(database, instanceId, selected);

    // Resume the resources of an interrupted run (same instance), or start all of them afresh.
    const stored = dryRun ? new Map<string, ListingProgress>() : await store.load();
    const unfinished = selected.map((r) => stored.get(r)).find((p) => p && p.source === options.source && p.status !== 'done');
    const session = !options.restart && unfinished ? unfinished.startedAt : null;
    const now = Date.now();
    const progressOf = new Map<ReconcileResource, ListingProgress>();
    for (const r of selected) {
      const p = stored.get(r);
      if (session !== null && p && p.source === options.source && p.startedAt === session) progressOf.set(r, p);
      else {
        const fresh: ListingProgress = { source: options.source, status: 'pending', part: 0, nextOffset: 0, total: null, imported: 0, anchor: [], listingStartedAt: now, shifted: false, counts: emptyCounts(), startedAt: now, updatedAt: now, finishedAt: null };
        progressOf.set(r, fresh);
        if (!dryRun) await store.save(database.db, r, fresh);
      }
    }

    const heartbeat = async () => {
      if (lease && !(await lease.renew())) throw new Error('the reconcile lease was lost (this process stalled for over 2 minutes and another took over); stopping');
      if (result.runId !== null) await updateRun(database, result.runId, { instanceId, resources: countsOf() });
    };

    for (const resource of selected) {
      const spec = RESOURCES[resource];
      const p = progressOf.get(resource)!;
      const outcome: ResourceOutcome = { resource, counts: p.counts, resumedAt: null, skipped: false, failures: [] };
      result.resources.push(outcome);
      if (p.status === 'done') {
        outcome.skipped = true;
        options.onStart?.(resource, { resumedAt: null, listed: p.counts.listed, total: p.total, skipped: true });
        continue;
      }
      if (options.signal?.aborted) {
        result.interrupted = true;
        break;
      }
      if (p.status === 'pending') {
        await seen?.clear(resource);
        p.status = 'running';
        p.listingStartedAt = Date.now();
        p.counts = outcome.counts = emptyCounts();
      } else if (p.nextOffset > 0) outcome.resumedAt = p.nextOffset;
      if (resource === 'users' && p.total === null) {
        // /users answers a bare array; /users/count gives the total for the progress bar.
        const count = (await api.get('/users/count').catch(() => null)) as { total_count?: unknown } | null;
        if (typeof count?.total_count === 'number') p.total = count.total_count;
      }
      options.onStart?.(resource, { resumedAt: outcome.resumedAt, listed: p.counts.listed, total: p.total, skipped: false });

      /**
       * Classifies and applies one page, marks its ids, and saves the progress, all in one
       * transaction. `last`: the page ends its listing; the resource is listed once every one of
       * its listings (`paths`) has ended.
       */
      const commit = async (items: Payload[], next: { offset: number; anchor: string[]; total: number | null; last: boolean; relist?: boolean }) => {
        const work = async (trx: Trx | null) => {
          const kinds = await classify(trx ?? database.db, spec, items);
          const counts = p.counts;
          const changed: Payload[] = [];
          for (const [i, item] of items.entries()) {
            const kind = kinds[i]!;
            counts.listed++;
            counts[kind]++;
            if (kind === 'missing_locally' || kind === 'newer_in_clerk') changed.push(item);
          }
          if (!dryRun && trx) {
            const apply = (item: Payload) => applyEvent(spec.upsertType, cleanJson(item), syncContext(trx, database, versionOf(item) ?? Date.now(), instanceId));
            // The whole page under one savepoint; only if it fails, object by object, so one bad
            // object fails alone (two statements less per object, on the common path).
            const pageError = changed.length > 0 ? await inSavepoint(trx, async () => { for (const item of changed) await apply(item); }) : null;
            if (pageError !== null) {
              for (const item of changed) {
                const error = await inSavepoint(trx, () => apply(item));
                if (error) {
                  counts.failed++;
                  if (outcome.failures.length < 100) outcome.failures.push({ id: idOf(item), error });
                }
              }
            }
          }
          await seen?.mark(resource, idsOf(items), trx ?? undefined);
          p.total = next.total ?? p.total;
          p.imported = counts.listed;
          p.updatedAt = Date.now();
          if (next.relist) {
            // The next pass is complete by itself: its marks alone say what Clerk has now.
            await seen?.clear(resource, trx ?? undefined);
            Object.assign(p, { part: 0, nextOffset: 0, anchor: [] });
          } else if (next.last && p.part + 1 < spec.paths.length) {
            Object.assign(p, { part: p.part + 1, nextOffset: 0, anchor: [] });
          } else {
            Object.assign(p, { nextOffset: next.offset, anchor: next.anchor });
            if (next.last) {
              p.status = 'listed';
              counts.complete = true;
            }
          }
          if (trx) await store.save(trx, resource, p);
        };
        if (dryRun) await work(null);
        else await database.db.transaction().execute(work);
        options.onPage?.(resource, { count: items.length, total: p.total });
        await heartbeat();
      };

      /**
       * Objects deleted in Clerk during the listing shifted it, so it may have skipped some: list
       * it again from the start, forgetting what it marked (the new pass, complete and contiguous,
       * says alone what Clerk has), a few times at most; after that, nothing of it is deleted this run.
       */
      const shifted = (why: string): boolean => {
        if (p.counts.relisted < MAX_RELISTS) {
          p.counts.relisted++;
          if (deletions) options.onNote?.(resource, `${why}: listing ${spec.label} again from the start`);
          return true;
        }
        p.shifted = true;
        if (deletions) options.onNote?.(resource, `${why} again: the listing may have skipped some, so nothing of it is deleted this run (the next run will)`);
        return false;
      };

      let perOrganization = false;
      while (p.status === 'running') {
        if (options.signal?.aborted) {
          result.interrupted = true;
          break;
        }
        if (perOrganization) {
          // Here nextOffset counts organizations whose memberships are all in.
          const orgs = await api.list('/organizations', 1, p.nextOffset);
          const org = orgs.items[0];
          if (!org) {
            await commit([], { offset: p.nextOffset, anchor: [], total: p.total, last: true });
            break;
          }
          const memberships: Payload[] = [];
          for (let offset = 0; ; offset += pageSize) {
            const page = await api.list(`/organizations/${encodeURIComponent(String(org.id))}/memberships`, pageSize, offset);
            memberships.push(...(page.items as Payload[]));
            if (page.items.length < pageSize) break;
          }
          await commit(memberships, { offset: p.nextOffset + 1, anchor: [], total: null, last: false });
          continue;
        }
        const path = spec.paths[p.part]!;
        if (spec.cursor && !p.shifted) {
          // After the last id listed (or, if Clerk no longer knows it, an earlier one of the page).
          let page = null;
          for (const after of p.anchor.length > 0 ? [...p.anchor].reverse() : [undefined]) {
            try {
              page = await api.list(path, pageSize, 0, { ordered: spec.ordered, startingAfter: after });
              break;
            } catch (error) {
              const unknownCursor = error instanceof ClerkApiError && error.status !== null && [400, 404, 422].includes(error.status);
              if (!unknownCursor || after === undefined) throw error;
            }
          }
          if (!page) {
            // Again from the start; past the re-listings, on by offset: the rest is applied, nothing swept.
            const relist = shifted(`the ${spec.label} listed last were all deleted in Clerk during the listing`);
            await commit([], { offset: p.nextOffset, anchor: [], total: p.total, last: false, relist });
            continue;
          }
          const items = page.items as Payload[];
          const at = anchorIn(items, p.anchor);
          const fresh = at >= 0 ? items.slice(at + 1) : items;
          await commit(fresh, {
            offset: p.nextOffset + fresh.length,
            anchor: idsOf(items.slice(-Math.max(1, overlap))),
            total: page.totalCount,
            last: items.length < pageSize,
          });
          continue;
        }
        const fetchAt = Math.max(0, p.nextOffset - p.anchor.length);
        let page;
        try {
          page = await api.list(path, pageSize, fetchAt, { ordered: spec.ordered });
        } catch (error) {
          // Instances (or API versions) without the instance-wide membership list: organization by organization.
          if (resource === 'organization_memberships' && error instanceof ClerkApiError && error.status === 404 && p.nextOffset === 0) {
            perOrganization = true;
            // Organizations deleted meanwhile shift that listing unseen: never sweep from it.
            p.shifted = true;
            continue;
          }
          throw error;
        }
        const items = page.items as Payload[];
        let fresh = items;
        let contiguous = true;
        if (p.anchor.length > 0 && fetchAt < p.nextOffset) {
          // The page re-reads the last ids of the one before: one of them must be in it, else
          // objects were deleted meanwhile and this page may skip some.
          const at = anchorIn(items, p.anchor);
          if (at >= 0) fresh = items.slice(at + 1);
          else {
            fresh = items.slice(p.nextOffset - fetchAt);
            contiguous = items.length === 0;
          }
        }
        await commit(fresh, {
          offset: fetchAt + items.length,
          anchor: idsOf(items.slice(-overlap)),
          total: spec.paths.length > 1 ? null : page.totalCount,
          last: items.length < pageSize,
          relist: !contiguous && !p.shifted && shifted(`objects were deleted in Clerk while listing ${spec.label}, so the listing may have skipped some`),
        });
      }
      if (result.interrupted) break;

      if (deletions && p.status === 'listed') {
        const swept = await sweep({
          database, spec, seen: seen!, counts: p.counts, instanceId, dryRun,
          guard: p.listingStartedAt - (options.clockMarginMs ?? DEFAULT_CLOCK_MARGIN_MS),
          shifted: p.shifted,
          cap: options.maxDeletes, force: options.force ?? false,
          signal: options.signal,
          remove: async (rows: StoredRow[]) => {
            await database.db.transaction().execute(async (trx) => {
              for (const row of rows) {
                const error = await inSavepoint(trx, () => spec.remove(row, syncContext(trx, database, Date.now(), instanceId ?? (row.instance_id as string | null))));
                if (error) {
                  p.counts.failed++;
                  if (outcome.failures.length < 100) outcome.failures.push({ id: String(row.id), error });
                } else p.counts.deleted++;
              }
            });
            await heartbeat();
          },
          onNote: (note) => options.onNote?.(resource, note),
        });
        if (!swept) {
          result.interrupted = true;
          break;
        }
      }
      p.status = 'done';
      p.finishedAt = p.updatedAt = Date.now();
      if (!dryRun) await store.save(database.db, resource, p);
      await heartbeat();
    }
    result.status = result.interrupted ? 'interrupted' : result.resources.some((o) => o.counts.capped) ? 'capped' : 'succeeded';
    if (result.runId !== null) await finishRun(database, result.runId, { status: result.status, resources: countsOf(), error: failuresText(result), instanceId: result.instanceId });
    return result;
  } catch (error) {
    if (result.runId !== null) {
      await finishRun(database, result.runId, { status: 'failed', resources: countsOf(), error: (error as Error).message, instanceId: result.instanceId }).catch(() => {});
    }
    throw error;
  } finally {
    await seen?.close();
    await lease?.release().catch(() => {});
  }
}

/** The first failures of a run, for its row: the counts say how many, this says why. */
function failuresText(result: ReconcileResult): string | null {
  const lines = result.resources.flatMap((o) => o.failures.slice(0, 5).map((f) => `${o.resource} ${f.id ?? '(no id)'}: ${f.error}`));
  return lines.length ? lines.join('\n') : null;
}
