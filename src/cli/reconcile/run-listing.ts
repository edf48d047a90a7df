import { ClerkApi, ClerkApiError } from '../../reconcile/clerk-api.js';
import { RESOURCES } from '../../reconcile/resources.js';
import { runReconcile, type ReconcileOptions, type ReconcileResult } from '../../reconcile/run.js';
import { createLogger } from '../../log.js';
import { migrateToLatest } from '../../store/migrate.js';
import { formatDuration } from '../delivery/svix-schedule.js';
import { openExistingDatabase, pgSettings, waitForDatabase } from '../options.js';
import { createProgress, type Progress } from '../progress.js';

export interface ListingCommandOptions {
  db: string;
  secretKey: string;
  apiUrl: string;
  pageSize: number;
  pgPoolMode?: string;
  pgSchema?: string;
  directUrl?: string;
}

/**
 * What `backfill` and `reconcile` share: the database, Clerk's API with its 429s and retries
 * reported, progress bars per resource on stderr, and Ctrl-C that stops after the page in flight
 * (the next run resumes). Answers the engine's result; errors say what to do.
 */
export async function runListingCommand(opts: ListingCommandOptions, engine: Omit<ReconcileOptions, 'database' | 'api' | 'signal' | 'onStart' | 'onPage' | 'onNote'>): Promise<ReconcileResult> {
  const database = await openExistingDatabase(opts.db, pgSettings(opts));
  let bar: Progress | null = null;
  const note = (text: string) => (bar ? bar.note(text) : console.error(text));
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    note('stopping after the page in flight (Ctrl-C again to quit at once; the next run resumes either way)');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await waitForDatabase(() => migrateToLatest(database), createLogger('warn'));
    const api = new ClerkApi({
      apiUrl: opts.apiUrl,
      secretKey: opts.secretKey,
      onRateLimited: (ms) => note(`rate limited by Clerk (429): waiting ${formatDuration(ms)} as its Retry-After asks`),
      onRetry: (why, ms) => note(`Clerk did not answer (${why}); retrying in ${formatDuration(ms)}`),
    });
    const result = await runReconcile({
      ...engine,
      database,
      api,
      pageSize: opts.pageSize,
      signal: controller.signal,
      onStart: (resource, s) => {
        bar?.done();
        bar = null;
        const label = RESOURCES[resource].label;
        if (s.skipped) return console.error(`${label}: already done by the interrupted run (${s.listed})`);
        if (s.resumedAt !== null) console.error(`${label}: resuming an interrupted run at offset ${s.resumedAt} (${s.listed} already listed)`);
        bar = createProgress({ label, total: s.total, initial: s.listed });
      },
      onPage: (_resource, page) => bar?.add(page.count, page.total),
      onNote: (resource, text) => note(`${RESOURCES[resource].label}: ${text}`),
    });
    (bar as Progress | null)?.done();
    return result;
  } catch (error) {
    (bar as Progress | null)?.done();
    if (error instanceof ClerkApiError) throw new Error(`${error.message}${error.status === 401 || error.status === 403 ? '' : ' (run the same command again to resume)'}`);
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await database.close();
  }
}

/** The objects the sync refused, at most 20 per resource, on stderr; answers how many there were. */
export function printFailures(result: ReconcileResult): number {
  let failed = 0;
  for (const r of result.resources) {
    for (const f of r.failures.slice(0, 20)) console.error(`  could not sync ${RESOURCES[r.resource].label} ${f.id ?? '(no id)'}: ${f.error}`);
    if (r.counts.failed > 20) console.error(`  ... and ${r.counts.failed - Math.min(20, r.failures.length)} more`);
    failed += r.counts.failed;
  }
  return failed;
}
