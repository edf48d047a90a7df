import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKFILL_RESOURCES, ClerkApi, ClerkApiError, DEFAULT_CLERK_API_URL, keyFingerprint, runBackfill, type BackfillResource } from '../backfill/index.js';
import { createLogger } from '../../log.js';
import { migrateToLatest } from '../../store/migrate.js';
import { dbOption, directUrlOption, numberIn, openExistingDatabase, pgPoolModeOption, pgSchemaOption, pgSettings, waitForDatabase } from '../options.js';
import { createProgress, type Progress } from '../progress.js';
import { formatDuration } from '../delivery/svix-schedule.js';

const LABEL: Record<BackfillResource, string> = { users: 'users', organizations: 'organizations', organization_memberships: 'memberships' };

function resources(value: string): BackfillResource[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const byLabel = (n: string) => BACKFILL_RESOURCES.find((r) => r === n || LABEL[r] === n);
  const bad = names.filter((n) => !byLabel(n));
  if (bad.length || names.length === 0) throw new InvalidArgumentError(`--only takes users, organizations and/or memberships (comma separated), got "${value}"`);
  return names.map((n) => byLabel(n)!);
}

const HELP = `
Reads users, organizations and organization memberships from Clerk's Backend API
(GET /users, /organizations, /organization_memberships, paginated) and applies each through the
same sync as webhooks: an object never overwrites newer data a webhook brought (its own
updated_at is its version), and a deleted user stays deleted. Run it once after connecting
clerk-sync, with webhooks already flowing; running it again later refreshes everything.

Interrupted (Ctrl-C, a crash, an outage)? Run the same command again: it resumes at the first
page not yet stored. --restart starts over. 429 answers are waited out (Retry-After).

Examples:
  $ CLERK_SECRET_KEY=sk_live_... clerk-sync backfill --db postgres://localhost/app
  $ clerk-sync backfill --only users --page-size 100

Exit codes: 0 done; 1 failed or some objects could not be synced (listed); 2 usage error;
130 interrupted (run again to resume).`;

export function backfillCommand(): Command {
  return new Command('backfill')
    .description('import existing users, organizations and memberships from Clerk\'s Backend API, never overwriting newer webhook data; resumable')
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .addOption(new Option('--secret-key <sk>', 'Clerk Secret Key (sk_live_... / sk_test_...)').env('CLERK_SECRET_KEY'))
    .addOption(new Option('--api-url <url>', 'Clerk Backend API base URL').default(DEFAULT_CLERK_API_URL))
    .addOption(new Option('--only <resources>', 'users, organizations, memberships (comma separated)').argParser(resources))
    .addOption(new Option('--page-size <n>', 'objects per request, 1-500').default(500).argParser(numberIn('--page-size', 1, 500)))
    .option('--restart', 'ignore the progress of an interrupted run and import everything again')
    .addHelpText('after', HELP)
    .action(async (opts) => {
      if (!opts.secretKey) throw new InvalidArgumentError('no Clerk Secret Key: set CLERK_SECRET_KEY (or pass --secret-key) to the instance\'s Secret Key from Clerk Dashboard → API keys (sk_live_... or sk_test_...)');
      if (!Number.isInteger(opts.pageSize)) throw new InvalidArgumentError('--page-size must be a whole number');
      if (/^whsec_/.test(opts.secretKey)) throw new InvalidArgumentError('CLERK_SECRET_KEY holds a webhook signing secret (whsec_...); backfill needs the Backend API Secret Key (sk_live_... or sk_test_...) from Clerk Dashboard → API keys');
      try {
        new URL(opts.apiUrl);
      } catch {
        throw new InvalidArgumentError(`--api-url must be a URL such as ${DEFAULT_CLERK_API_URL}, got "${opts.apiUrl}"`);
      }
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
        const result = await runBackfill({
          database,
          api,
          source: `${opts.apiUrl.replace(/\/+$/, '')}#${keyFingerprint(opts.secretKey)}`,
          pageSize: opts.pageSize,
          resources: opts.only,
          restart: opts.restart,
          signal: controller.signal,
          onStart: (resource, s) => {
            bar?.done();
            bar = null;
            if (s.skipped) return console.error(`${LABEL[resource]}: already imported by the interrupted run (${s.imported})`);
            if (s.resumedAt !== null) console.error(`${LABEL[resource]}: resuming an interrupted run at offset ${s.resumedAt} (${s.imported} already imported)`);
            bar = createProgress({ label: LABEL[resource], total: s.total, initial: s.imported });
          },
          onPage: (_resource, page) => bar?.add(page.count, page.total),
        });
        (bar as Progress | null)?.done();
        bar = null;
        let failed = 0;
        for (const r of result.resources) {
          for (const f of r.failed.slice(0, 20)) console.error(`  could not sync ${LABEL[r.resource]} ${f.id ?? '(no id)'}: ${f.error}`);
          if (r.failed.length > 20) console.error(`  ... and ${r.failed.length - 20} more`);
          failed += r.failed.length;
        }
        const summary = result.resources.map((r) => `${LABEL[r.resource]} ${r.skipped ? 'already done' : `${r.imported} imported${r.failed.length ? `, ${r.failed.length} failed` : ''}${r.finished ? '' : ' (unfinished)'}`}`).join('; ');
        if (result.interrupted) {
          console.error(`interrupted: ${summary}. Run the same command again to resume.`);
          process.exitCode = 130;
          return;
        }
        console.log(`backfill done${result.instanceId ? ` for ${result.instanceId}` : ''}: ${summary}`);
        if (failed > 0) process.exitCode = 1;
      } catch (error) {
        (bar as Progress | null)?.done();
        if (error instanceof ClerkApiError) throw new Error(`${error.message}${error.status === 401 || error.status === 403 ? '' : ' (run the same command again to resume)'}`);
        throw error;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await database.close();
      }
    });
}
