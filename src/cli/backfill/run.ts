import { sql, type Transaction } from 'kysely';
import { cleanJson, columnInteger } from '../../events/content.js';
import type { Database } from '../../store/database.js';
import { sqlDialect, type SqlDialect } from '../../store/dialect.js';
import { SqlWriter } from '../../store/sql-writer.js';
import type { BackfillTable, ClerkSyncDatabase } from '../../store/schema.js';
import { applyEvent } from '../../sync/apply.js';
import type { Payload } from '../../sync/values.js';
import { ClerkApiError, type ClerkApi } from './clerk-api.js';

export type BackfillResource = 'users' | 'organizations' | 'organization_memberships';

/** In dependency order: memberships refer to users and organizations. */
export const BACKFILL_RESOURCES: readonly BackfillResource[] = ['users', 'organizations', 'organization_memberships'];

/** Each object goes through the sync as the newest `*.updated` event would: same guards, same tables. */
const EVENT_TYPE: Record<BackfillResource, string> = {
  users: 'user.updated',
  organizations: 'organization.updated',
  organization_memberships: 'organizationMembership.updated',
};

export interface BackfillOptions {
  database: Database;
  api: ClerkApi;
  /** Identifies the Clerk instance (API URL and key fingerprint), so progress of another one is not resumed. */
  source: string;
  /** 1-500; default 500 (Clerk's maximum). */
  pageSize?: number;
  resources?: readonly BackfillResource[];
  /** Ignore stored progress and import everything again. */
  restart?: boolean;
  /** Once aborted, the page in flight is committed and the run stops, resumable. */
  signal?: AbortSignal;
  onStart?: (resource: BackfillResource, state: { resumedAt: number | null; imported: number; total: number | null; skipped: boolean }) => void;
  onPage?: (resource: BackfillResource, page: { count: number; total: number | null }) => void;
}

export interface ResourceResult {
  resource: BackfillResource;
  /** Objects applied in this run. */
  imported: number;
  /** Objects the sync refused (no usable id...), with why. */
  failed: Array<{ id: string | null; error: string }>;
  /** Offset this run resumed at, or null for a fresh start. */
  resumedAt: number | null;
  /** Finished in an earlier, interrupted run; nothing done now. */
  skipped: boolean;
  finished: boolean;
}

export interface BackfillResult {
  instanceId: string | null;
  resources: ResourceResult[];
  /** True when stopped by the signal before the end: run again to resume. */
  interrupted: boolean;
}

type Trx = Transaction<ClerkSyncDatabase>;

/** Applies one Backend API object in its own savepoint, so a bad one does not undo its page. */
async function applyOne(trx: Trx, dialect: SqlDialect, type: string, item: Payload, instanceId: string | null): Promise<string | null> {
  await sql`savepoint clerk_sync_backfill`.execute(trx);
  try {
    // Its own updated_at as the event time: never newer than what a webhook brought since.
    const eventTime = columnInteger(item.updated_at) ?? columnInteger(item.created_at) ?? Date.now();
    await applyEvent(type, cleanJson(item), { sql: new SqlWriter(trx, dialect), eventTime, instanceId });
    await sql`release savepoint clerk_sync_backfill`.execute(trx);
    return null;
  } catch (error) {
    await sql`rollback to savepoint clerk_sync_backfill`.execute(trx);
    await sql`release savepoint clerk_sync_backfill`.execute(trx);
    return error instanceof Error ? error.message : String(error);
  }
}

async function saveProgress(db: Trx | Database['db'], row: BackfillTable): Promise<void> {
  await db
    .insertInto('clerk_sync_backfill')
    .values(row)
    .onConflict((oc) => oc.column('resource').doUpdateSet({
      source: row.source, status: row.status, next_offset: row.next_offset, total: row.total, imported: row.imported,
      started_at: row.started_at, updated_at: row.updated_at, finished_at: row.finished_at,
    }))
    .execute();
}

/**
 * Imports users, organizations and memberships from Clerk's Backend API through the same sync as
 * webhooks: newer stored data is never overwritten (each object's own `updated_at` is its
 * version), and tombstones stay. Every page and its progress commit together, so an interrupted
 * run resumes at the first page not yet committed.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const { database, api } = options;
  const pageSize = options.pageSize ?? 500;
  const selected = BACKFILL_RESOURCES.filter((r) => (options.resources ?? BACKFILL_RESOURCES).includes(r));
  const stored = await database.db.selectFrom('clerk_sync_backfill').selectAll().where('resource', 'in', [...selected]).execute();
  const mine = (r: BackfillResource) => stored.find((s) => s.resource === r && s.source === options.source);
  // A run resumes when an earlier one was interrupted; otherwise it imports everything afresh.
  const resuming = !options.restart && selected.some((r) => mine(r)?.status === 'running');
  const instanceId = await api.instanceId();
  const result: BackfillResult = { instanceId, resources: [], interrupted: false };

  for (const resource of selected) {
    const previous = resuming ? mine(resource) : undefined;
    const outcome: ResourceResult = { resource, imported: 0, failed: [], resumedAt: null, skipped: false, finished: false };
    result.resources.push(outcome);
    if (previous?.status === 'done') {
      outcome.skipped = true;
      outcome.finished = true;
      options.onStart?.(resource, { resumedAt: null, imported: Number(previous.imported), total: previous.total === null ? null : Number(previous.total), skipped: true });
      continue;
    }
    if (result.interrupted) break;
    const now = Date.now();
    const progress: BackfillTable = previous
      ? { ...previous, next_offset: Number(previous.next_offset), imported: Number(previous.imported), total: previous.total === null ? null : Number(previous.total), started_at: Number(previous.started_at), updated_at: now, finished_at: null }
      : { resource, source: options.source, status: 'running', next_offset: 0, total: null, imported: 0, started_at: now, updated_at: now, finished_at: null };
    outcome.resumedAt = previous ? progress.next_offset : null;
    if (resource === 'users' && progress.total === null) {
      // /users returns a bare array; /users/count gives the total for the progress bar.
      const count = (await api.get('/users/count').catch(() => null)) as { total_count?: unknown } | null;
      if (typeof count?.total_count === 'number') progress.total = count.total_count;
    }
    await saveProgress(database.db, progress);
    options.onStart?.(resource, { resumedAt: outcome.resumedAt, imported: progress.imported, total: progress.total, skipped: false });

    /** Applies items, advances the offset by `advance`, commits both; true when that was the last page. */
    const commit = async (items: Payload[], advance: number, total: number | null, last: boolean) => {
      await database.db.transaction().execute(async (trx) => {
        let applied = 0;
        for (const item of items) {
          const error = await applyOne(trx, sqlDialect(database.dialect), EVENT_TYPE[resource], item, instanceId);
          if (error) outcome.failed.push({ id: typeof item.id === 'string' ? item.id : null, error });
          else applied++;
        }
        outcome.imported += applied;
        progress.next_offset += advance;
        progress.imported += applied;
        progress.total = total ?? progress.total;
        progress.updated_at = Date.now();
        if (last) {
          progress.status = 'done';
          progress.finished_at = progress.updated_at;
        }
        await saveProgress(trx, progress);
      });
      options.onPage?.(resource, { count: items.length, total: progress.total });
      outcome.finished = last;
    };

    let perOrganization = false;
    while (!outcome.finished) {
      if (options.signal?.aborted) {
        result.interrupted = true;
        break;
      }
      if (resource === 'organization_memberships' && !perOrganization) {
        try {
          const page = await api.list('/organization_memberships', pageSize, progress.next_offset);
          await commit(page.items, page.items.length, page.totalCount, page.items.length < pageSize);
        } catch (error) {
          // Instances (or API versions) without the instance-wide list: go organization by organization.
          if (!(error instanceof ClerkApiError && error.status === 404) || progress.next_offset > 0) throw error;
          perOrganization = true;
        }
        continue;
      }
      if (perOrganization) {
        // Here next_offset counts organizations whose memberships are all in.
        const orgs = await api.list('/organizations', 1, progress.next_offset);
        const org = orgs.items[0];
        if (!org) {
          await commit([], 0, progress.total, true);
          break;
        }
        const memberships: Payload[] = [];
        for (let offset = 0; ; offset += pageSize) {
          const page = await api.list(`/organizations/${encodeURIComponent(String(org.id))}/memberships`, pageSize, offset);
          memberships.push(...page.items);
          if (page.items.length < pageSize) break;
        }
        await commit(memberships, 1, null, false);
        continue;
      }
      const path = resource === 'users' ? '/users' : '/organizations';
      const page = await api.list(path, pageSize, progress.next_offset);
      await commit(page.items, page.items.length, page.totalCount, page.items.length < pageSize);
    }
  }
  return result;
}
