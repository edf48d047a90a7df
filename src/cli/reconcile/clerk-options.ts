import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CLERK_API_URL, sourceOf } from '../../reconcile/clerk-api.js';
import { RECONCILE_RESOURCES, RESOURCES, resourceNamed, type ReconcileResource } from '../../reconcile/resources.js';
import { dbOption, directUrlOption, numberIn, pgPoolModeOption, pgSchemaOption } from '../options.js';

/** --only: resource names, labels or aliases, comma separated. */
export function resourceList(value: string): ReconcileResource[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !resourceNamed(n));
  if (bad.length || names.length === 0) {
    throw new InvalidArgumentError(`--only takes one or more of ${RECONCILE_RESOURCES.map((r) => RESOURCES[r].aliases[0] ?? r).join(', ')} (comma separated); "${bad.join(', ') || value}" is none of them`);
  }
  return names.map((n) => resourceNamed(n)!);
}

/** A command that reads Clerk's Backend API into the database: its database and API options, and --only. */
export function listingCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .addOption(new Option('--secret-key <sk>', 'Clerk Secret Key (sk_live_... / sk_test_...)').env('CLERK_SECRET_KEY'))
    .addOption(new Option('--api-url <url>', 'Clerk Backend API base URL').default(DEFAULT_CLERK_API_URL))
    .addOption(new Option('--page-size <n>', 'objects per request, 1-500').default(500).argParser(numberIn('--page-size', 1, 500)))
    .addOption(new Option('--only <resources>', `some of: ${RECONCILE_RESOURCES.map((r) => RESOURCES[r].aliases[0] ?? r).join(', ')} (comma separated); default all`).argParser(resourceList))
    .option('--restart', 'ignore the progress of an interrupted run and start over');
}

/** Checks the key and URL; answers the `source` that ties stored progress to this instance. */
export function checkClerkApiOptions(opts: { secretKey?: string; apiUrl: string; pageSize: number }, command: string): string {
  if (!opts.secretKey) throw new InvalidArgumentError('no Clerk Secret Key: set CLERK_SECRET_KEY (or pass --secret-key) to the instance\'s Secret Key from Clerk Dashboard → API keys (sk_live_... or sk_test_...)');
  if (!Number.isInteger(opts.pageSize)) throw new InvalidArgumentError('--page-size must be a whole number');
  if (/^whsec_/.test(opts.secretKey)) throw new InvalidArgumentError(`CLERK_SECRET_KEY holds a webhook signing secret (whsec_...); ${command} needs the Backend API Secret Key (sk_live_... or sk_test_...) from Clerk Dashboard → API keys`);
  try {
    new URL(opts.apiUrl);
  } catch {
    throw new InvalidArgumentError(`--api-url must be a URL such as ${DEFAULT_CLERK_API_URL}, got "${opts.apiUrl}"`);
  }
  return sourceOf(opts.apiUrl, opts.secretKey);
}
