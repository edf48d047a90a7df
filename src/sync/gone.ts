import { q, raw } from '../store/sql.js';
import type { SyncContext } from './context.js';

/** Tables whose objects Clerk removes without sending an event: reconcile marks them gone. */
export type MarkedGoneTable = 'clerk_organization_invitations' | 'clerk_invitations' | 'clerk_waitlist_entries' | 'clerk_subscription_items';

/**
 * Ends a row Clerk no longer lists, where no `*.deleted` event exists to apply: `deleted_at` is
 * set once (the first time stays), the row is kept for its history.
 */
export async function markGone(table: MarkedGoneTable, id: string, ctx: SyncContext): Promise<void> {
  await ctx.sql.run(q`update ${raw(table)} set deleted_at = coalesce(deleted_at, ${ctx.eventTime}) where id = ${id}`);
}
