/**
 * Statuses an entity never leaves. Once stored, an event carrying another status does not apply,
 * whatever its version: a late `session.created` cannot revive an ended session, a late
 * `*.created` cannot put an accepted invitation back to pending.
 */
export const SESSION_FINAL_STATUSES = ['ended', 'removed', 'revoked', 'expired', 'abandoned', 'replaced'] as const;

export const INVITATION_FINAL_STATUSES = ['accepted', 'revoked', 'expired'] as const;
