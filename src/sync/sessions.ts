import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { keepFirst, keepKnown, staysFinal, upsertNewer } from './guard.js';
import { lockParent } from './parent-locks.js';
import { q } from '../store/sql.js';
import { SESSION_FINAL_STATUSES } from './statuses.js';
import { refreshUser } from './users.js';
import { int, json, obj, text, type Payload } from './values.js';

const FINAL: readonly string[] = SESSION_FINAL_STATUSES;
const guardFor = staysFinal('clerk_sessions', FINAL);
const SET = { status: keepKnown('clerk_sessions', 'status'), deleted_at: keepFirst('clerk_sessions', 'deleted_at') };

/** The session's user: `user_id`, or the id of the `user` it carries. */
export function sessionUserId(d: Payload): string | null {
  return text(d.user_id) ?? text(obj(d.user)?.id);
}

/**
 * session.* events. The `user` they carry refreshes clerk_users under the user's own guards. The
 * session row itself is guarded by its `updated_at` and by its status: once ended, revoked,
 * removed (or another final status) it never becomes active or pending again.
 *
 * A session whose user is deleted is stored ended (unless it already holds a final status), with
 * `deleted_at` and no payload, whether it arrives before or after `user.deleted`. There is no
 * tombstone guard here: newer events still apply, so the final status converges whatever the
 * delivery order (a revoke arriving after the user's deletion still records `revoked`).
 */
export async function upsertSession(d: Payload, ctx: SyncContext, statusOfType: string | null): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('session payload has no string `id`; cannot sync it');
  const user = obj(d.user);
  const userId = sessionUserId(d);
  await lockParent(ctx.sql, 'clerk_users', userId);
  if (user && text(user.id) === userId) await refreshUser(user, ctx);

  const userDeletedAt = q`(select deleted_at from clerk_users where id = ${userId})`;
  const userDeleted = q`${userDeletedAt} is not null`;
  const status = text(d.status) ?? statusOfType;
  const { user: _user, ...session } = d;

  await upsertNewer(
    ctx.sql,
    'clerk_sessions',
    {
      id,
      instance_id: ctx.instanceId,
      user_id: userId,
      client_id: text(d.client_id),
      status: status !== null && FINAL.includes(status) ? status : q`case when ${userDeleted} then 'ended' else ${status} end`,
      last_active_at: int(d.last_active_at),
      last_active_organization_id: text(d.last_active_organization_id),
      expire_at: int(d.expire_at),
      abandon_at: int(d.abandon_at),
      actor: json(d.actor),
      created_at: int(d.created_at),
      updated_at: int(d.updated_at) ?? ctx.eventTime,
      deleted_at: userDeletedAt,
      payload: q`case when ${userDeleted} then null else cast(${JSON.stringify(session)} as {json}) end`,
    },
    {
      tombstone: false,
      guard: guardFor(status),
      set: SET,
    },
  );
}
