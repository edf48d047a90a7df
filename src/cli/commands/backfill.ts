import type { Command } from 'commander';
import { RESOURCES } from '../../reconcile/resources.js';
import { checkClerkApiOptions, listingCommand } from '../reconcile/clerk-options.js';
import { printFailures, runListingCommand } from '../reconcile/run-listing.js';

const HELP = `
Reads everything Clerk's Backend API lists (users, organizations, memberships, roles,
permissions, domains, organization invitations, invitations, waitlist entries, subscription
items) and applies each object through the same sync as webhooks: an object never overwrites
newer data a webhook brought (its own updated_at is its version), and a deleted user stays
deleted. Run it once after connecting clerk-sync, with webhooks already flowing.

backfill never deletes. To also remove what Clerk no longer has (deletions whose webhooks were
lost), use \`clerk-sync reconcile\`: the same engine, with deletions.

Interrupted (Ctrl-C, a crash, an outage)? Run the same command again: it resumes at the first
page not yet stored. --restart starts over. 429 answers are waited out (Retry-After).

Examples:
  $ CLERK_SECRET_KEY=sk_live_... clerk-sync backfill --db postgres://localhost/app
  $ clerk-sync backfill --only users --page-size 100

Exit codes: 0 done; 1 failed or some objects could not be synced (listed); 2 usage error;
130 interrupted (run again to resume).`;

export function backfillCommand(): Command {
  return listingCommand('backfill', 'import what Clerk\'s Backend API lists (users, organizations, memberships, ...), never overwriting newer webhook data; never deletes; resumable')
    .addHelpText('after', HELP)
    .action(async (opts) => {
      const source = checkClerkApiOptions(opts, 'backfill');
      const result = await runListingCommand(opts, { source, resources: opts.only, restart: opts.restart, deletions: false });
      const failed = printFailures(result);
      const summary = result.resources
        .map((r) => `${RESOURCES[r.resource].label} ${r.skipped ? 'already done' : `${r.counts.listed - r.counts.failed} imported${r.counts.failed ? `, ${r.counts.failed} failed` : ''}${r.counts.complete ? '' : ' (unfinished)'}`}`)
        .join('; ');
      if (result.interrupted) {
        console.error(`interrupted: ${summary}. Run the same command again to resume.`);
        process.exitCode = 130;
        return;
      }
      console.log(`backfill done${result.instanceId ? ` for ${result.instanceId}` : ''}: ${summary}`);
      if (failed > 0) process.exitCode = 1;
    });
}
