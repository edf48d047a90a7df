/**
 * Compile-time checks (run by `npm run typecheck`): the sync's writers are typed against
 * ClerkSyncDatabase, so a column the table does not have is a compile error.
 */
import type { SqlWriter } from '../../src/store/sql-writer.js';
import { upsertNewer } from '../../src/sync/guard.js';
import { insertRows, insertTombstone } from '../../src/sync/inserts.js';

declare const writer: SqlWriter;

export async function rowsAreTyped(): Promise<void> {
  await upsertNewer(writer, 'clerk_users', { id: 'user_1', first_name: 'Ada', updated_at: 1 });
  // @ts-expect-error: clerk_users has no column `firstname`.
  await upsertNewer(writer, 'clerk_users', { id: 'user_1', firstname: 'Ada' });
  // @ts-expect-error: no such table.
  await upsertNewer(writer, 'clerk_userz', { id: 'user_1' });
  // @ts-expect-error: clerk_emails has no column `to`.
  await insertRows(writer, 'clerk_emails', [{ id: 'ema_1', to: 'x@example.com' }]);
  // @ts-expect-error: clerk_roles has no column `slug`.
  await insertTombstone(writer, 'clerk_roles', { id: 'role_1', deleted_at: 1, slug: 'x' });
}
