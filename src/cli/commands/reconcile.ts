import { InvalidArgumentError, Option, type Command } from 'commander';
import { total } from '../../reconcile/counts.js';
import { RECONCILE_RESOURCES, RESOURCES } from '../../reconcile/resources.js';
import type { ReconcileResult } from '../../reconcile/run.js';
import type { DeleteCap } from '../../reconcile/sweep.js';
import { checkClerkApiOptions, listingCommand } from '../reconcile/clerk-options.js';
import { printFailures, runListingCommand } from '../reconcile/run-listing.js';

/** --max-deletes: a count (`50`) or a share of the stored rows (`2%`). */
export function deleteCap(value: string): DeleteCap {
  const v = value.trim();
  if (/^\d+$/.test(v)) return { count: Number(v) };
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
  throw new InvalidArgumentError(`--max-deletes takes a count (50) or a percentage of the stored rows (2%), got "${value}"`);
}

const HELP = `
Lists every resource Clerk's Backend API can list and makes the synced tables equal to it:
  - objects newer in Clerk, or missing here, are applied through the same sync as webhooks
    (never over newer webhook data, never bringing a deleted user back);
  - rows Clerk no longer lists are deleted as their *.deleted event would (tombstone, erasure of
    personal data, cascades), or marked deleted (deleted_at) where Clerk sends no such event.

Deletion is careful: only after a complete listing of that resource, never of a row changed
after the listing started (a webhook was faster), never of another instance's rows, and at most
5% of a resource's rows (at least 10) unless --max-deletes or --force says otherwise. A key of
another instance than the tables hold is refused. One reconcile runs at a time across all
processes. Interrupted? Run the same command again: it resumes. 429s are waited out.

Resources: ${RECONCILE_RESOURCES.map((r) => RESOURCES[r].aliases[0] ?? r).join(', ')}.

Examples:
  $ CLERK_SECRET_KEY=sk_live_... clerk-sync reconcile --dry-run     # what differs; writes nothing
  $ CLERK_SECRET_KEY=sk_live_... clerk-sync reconcile --db postgres://localhost/app
  $ clerk-sync reconcile --only users,memberships --max-deletes 200
  $ clerk-sync serve --reconcile-every 24h                           # on a schedule

Exit codes: 0 in sync now; 1 failed, a deletion was refused by the cap, or some objects could
not be synced; 2 usage error; 130 interrupted (run again to resume).`;

const COLUMNS = [
  ['listed', 'listed'],
  ['in_sync', 'in sync'],
  ['newer_in_clerk', 'newer in Clerk'],
  ['missing_locally', 'missing here'],
  ['local_newer', 'newer here'],
  ['gone_from_clerk', 'gone from Clerk'],
  ['deleted', 'deleted'],
  ['failed', 'failed'],
] as const;

/** The drift, one row per resource, aligned. */
export function driftTable(result: ReconcileResult): string {
  const head = ['resource', ...COLUMNS.map(([, title]) => title)];
  const rows = result.resources.map((o) => [RESOURCES[o.resource].label, ...COLUMNS.map(([k]) => String(o.counts[k]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function reconcileCommand(): Command {
  return listingCommand('reconcile', 'make the synced tables equal to what Clerk\'s Backend API lists, deletions included (safely); --dry-run shows the drift')
    .option('--dry-run', 'list and compare, print the drift, write nothing')
    .addOption(new Option('--max-deletes <n|p%>', 'most rows deleted per resource without --force (default 5%, at least 10)').argParser(deleteCap))
    .option('--force', 'delete past the cap, and reconcile even with a key of another instance than the tables hold')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', HELP)
    .action(async (opts) => {
      const source = checkClerkApiOptions(opts, 'reconcile');
      const result = await runListingCommand(opts, { source, resources: opts.only, restart: opts.restart, dryRun: opts.dryRun, maxDeletes: opts.maxDeletes, force: opts.force, trigger: 'cli' });
      const failed = printFailures(result);
      if (opts.json) console.log(JSON.stringify({ runId: result.runId, instanceId: result.instanceId, status: result.status, dryRun: !!opts.dryRun, resources: Object.fromEntries(result.resources.map((o) => [o.resource, o.counts])) }, null, 2));
      else console.log(driftTable(result));
      if (result.interrupted) {
        console.error('interrupted. Run the same command again to resume.');
        process.exitCode = 130;
        return;
      }
      const sum = (kind: Parameters<typeof total>[1]) => total(result.resources, kind);
      const capped = result.resources.filter((o) => o.counts.capped).map((o) => RESOURCES[o.resource].label);
      const of = result.instanceId ? ` for ${result.instanceId}` : '';
      if (!opts.json) {
        if (opts.dryRun) {
          console.log(`reconcile dry run${of}: nothing written. Would apply ${sum('newer_in_clerk') + sum('missing_locally')} (${sum('newer_in_clerk')} newer in Clerk, ${sum('missing_locally')} missing here) and delete ${sum('gone_from_clerk')}; ${sum('local_newer')} newer here stay. Run without --dry-run to apply.`);
        } else {
          console.log(`reconcile done${of}: ${sum('newer_in_clerk') + sum('missing_locally')} applied (${sum('newer_in_clerk')} newer in Clerk, ${sum('missing_locally')} missing here), ${sum('deleted')} deleted${capped.length ? `; deletions refused for ${capped.join(', ')} (see above)` : ''}`);
        }
      }
      if (failed > 0 || capped.length > 0) process.exitCode = 1;
    });
}
