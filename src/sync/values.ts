import { cleanJson, columnCount, columnInteger, columnText, wellFormed } from '../events/content.js';

/**
 * Payload readers. Live payloads drift from the spec (fields missing, null, or of another shape),
 * so every column value is read defensively: anything unexpected becomes NULL, never an error.
 * Every value also passes the content policy (events/content.ts), so both databases store it alike.
 */
export type Payload = Record<string, unknown>;

/** A text column: well-formed, at most MAX_TEXT_BYTES. */
export function text(v: unknown): string | null {
  return typeof v === 'string' ? columnText(v) : null;
}

/** A text column with no index on it, which keeps text of any length (an email's body). */
export function longText(v: unknown): string | null {
  return typeof v === 'string' ? wellFormed(v) : null;
}

/** A bigint column (epoch ms): see columnInteger. */
export function int(v: unknown): number | null {
  return columnInteger(v);
}

/** An integer column (a count, 32 bits): see columnCount. */
export function count(v: unknown): number | null {
  return columnCount(v);
}

export function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

/** A JSON column: keys and strings well-formed, nesting cut (cleanJson). */
export function json(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(cleanJson(v));
}

export function obj(v: unknown): Payload | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Payload) : null;
}

export function list(v: unknown): Payload[] {
  return Array.isArray(v) ? v.filter((x): x is Payload => obj(x) !== null) : [];
}

/** The entry of `items` whose id is `primaryId`: Clerk's primary is never simply the first entry. */
export function primary(items: unknown, primaryId: unknown): Payload | null {
  if (typeof primaryId !== 'string') return null;
  return list(items).find((i) => i.id === primaryId) ?? null;
}

/** Text, with the empty string read as absent (billing payers send `organization_id: ""` for users). */
export function nonEmpty(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? columnText(v) : null;
}

/** The organization an organization invitation or domain belongs to. */
export function organizationIdOf(d: Payload): string | null {
  return text(d.organization_id) ?? text(obj(d.public_organization_data)?.id);
}

/** `status` and `strategy` of a Clerk verification object, when there is one. */
export function verification(v: unknown): { status: string | null; strategy: string | null } {
  const o = obj(v);
  return { status: text(o?.status), strategy: text(o?.strategy) };
}
