import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { upsertNewer, upsertNewerApplied } from './guard.js';
import { insertTombstone } from './inserts.js';
import { distinctById, type RowOf } from './rows.js';
import { join, q } from '../store/sql.js';
import { bool, int, list, text, type Payload } from './values.js';

function permissionRow(d: Payload, ctx: SyncContext) {
  return {
    id: text(d.id),
    instance_id: ctx.instanceId,
    key: text(d.key),
    name: text(d.name),
    description: text(d.description),
    type: text(d.type),
    created_at: int(d.created_at),
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    payload: JSON.stringify(d),
  } satisfies RowOf<'clerk_permissions'>;
}

export async function upsertPermission(d: Payload, ctx: SyncContext): Promise<void> {
  if (text(d.id) === null) throw new PermanentError('permission payload has no string `id`; cannot sync it');
  await upsertNewer(ctx.sql, 'clerk_permissions', permissionRow(d, ctx));
}

/** Tombstones the permission and unlinks it from every role; role events do not link it again. */
export async function deletePermission(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('permission.deleted payload has no string `id`; cannot sync it');
  await insertTombstone(ctx.sql, 'clerk_permissions', { id, instance_id: ctx.instanceId, deleted_at: ctx.eventTime });
  await ctx.sql.run(q`delete from clerk_role_permissions where permission_id = ${id}`);
}

/**
 * role.created/updated. When the role's upsert applies and the payload lists `permissions`, the
 * permissions listed are upserted (under their own guards) and the role's links are replaced by
 * them, minus deleted permissions. A payload without a `permissions` list leaves the links.
 */
export async function upsertRole(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('role payload has no string `id`; cannot sync it');
  const applied = await upsertNewerApplied(
    ctx.sql,
    'clerk_roles',
    {
      id,
      instance_id: ctx.instanceId,
      key: text(d.key),
      name: text(d.name),
      description: text(d.description),
      is_creator_eligible: bool(d.is_creator_eligible),
      created_at: int(d.created_at),
      updated_at: int(d.updated_at) ?? ctx.eventTime,
      payload: JSON.stringify(d),
    },
  );
  if (!applied || !Array.isArray(d.permissions)) return;

  const permissions = distinctById(list(d.permissions).map((p) => permissionRow(p, ctx)).filter((p) => p.id !== null));
  await upsertNewer(ctx.sql, 'clerk_permissions', permissions);
  await ctx.sql.run(q`delete from clerk_role_permissions where role_id = ${id}`);
  if (permissions.length === 0) return;
  await ctx.sql.run(q`insert into clerk_role_permissions (role_id, permission_id)
    select ${id}, id from clerk_permissions where id in (${join(permissions.map((p) => q`${p.id}`))}) and deleted_at is null`);
}

/** Tombstones the role and removes its permission links. */
export async function deleteRole(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('role.deleted payload has no string `id`; cannot sync it');
  await insertTombstone(ctx.sql, 'clerk_roles', { id, instance_id: ctx.instanceId, deleted_at: ctx.eventTime });
  await ctx.sql.run(q`delete from clerk_role_permissions where role_id = ${id}`);
}
