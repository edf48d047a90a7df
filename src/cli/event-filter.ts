import { Command, InvalidArgumentError, Option } from 'commander';
import { ADMIN_TOKEN_ENV } from '../admin/auth.js';
import { AdminClient } from '../admin/client.js';
import { EVENT_STATUSES, type EventFilter } from '../inbox/browse.js';
import type { EventStatus } from '../store/schema.js';
import { since } from './options.js';

/** Comma-separated and repeatable: `--type user.created,user.updated --type session.created`. */
function list(name: string, allowed?: readonly string[]) {
  return (value: string, previous: string[] = []): string[] => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = allowed ? items.filter((i) => !allowed.includes(i)) : [];
    if (items.length === 0 || bad.length) throw new InvalidArgumentError(`${name} ${bad.length ? `"${bad.join(', ')}" is not one of ${allowed!.join(', ')}` : 'needs a value'}`);
    return [...previous, ...items];
  };
}

/** The selection flags shared by `events list` and `replay`; they map onto the inbox's EventFilter. */
export function addFilterOptions(command: Command): Command {
  return command
    .addOption(new Option('--status <status>', `only these statuses (${EVENT_STATUSES.join(', ')}), comma separated`).argParser(list('--status', EVENT_STATUSES)))
    .addOption(new Option('--type <type>', 'only these event types, e.g. user.updated (comma separated)').argParser(list('--type')))
    .addOption(new Option('--since <time>', 'received at or after: 2h, 30m, 7d ago, or an ISO time').argParser(since))
    .addOption(new Option('--until <time>', 'received before: 2h, 30m, 7d ago, or an ISO time').argParser(since));
}

export function filterFrom(opts: { status?: string[]; type?: string[]; since?: number; until?: number }, ids: readonly string[] = []): EventFilter {
  const filter: EventFilter = {};
  if (ids.length) filter.ids = ids;
  if (opts.status?.length) filter.statuses = opts.status as EventStatus[];
  if (opts.type?.length) filter.types = opts.type;
  if (opts.since !== undefined) filter.since = opts.since;
  if (opts.until !== undefined) filter.until = opts.until;
  return filter;
}

/** `--remote <url> --token <t>`: work on a running clerk-sync through its admin API instead of a database. */
export function addRemoteOptions(command: Command): Command {
  return command
    .option('--remote <url>', 'a running clerk-sync (its admin API) instead of --db, e.g. https://sync.example.com')
    .addOption(new Option('--token <token>', 'admin token of --remote').env(ADMIN_TOKEN_ENV));
}

export function remoteClient(opts: { remote?: string; token?: string }): AdminClient | null {
  if (!opts.remote) return null;
  if (!opts.token) throw new InvalidArgumentError(`--remote needs the instance's admin token: --token, or ${ADMIN_TOKEN_ENV}`);
  return new AdminClient(opts.remote, opts.token);
}
