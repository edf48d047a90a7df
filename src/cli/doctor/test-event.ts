import { randomBytes } from 'node:crypto';

/**
 * The event doctor sends: a type outside Clerk's catalog, so no handler mistakes it for real data
 * (clerk-sync stores it as `skipped` and touches no table), and a payload that says what it is.
 */
export const DOCTOR_EVENT_TYPE = 'clerk-sync.doctor';

export interface DoctorBodies {
  /** Compact JSON as JSON.stringify writes it: even an endpoint that re-serializes verifies this one. */
  compact: string;
  /**
   * The same event as Clerk's Go encoder writes it (`<`, `>` and `&` as \u003c \u003e \u0026): an
   * endpoint that parses and re-serializes the body changes these bytes and fails to verify.
   */
  goEncoded: string;
  /** The compact form with Python's default separators (", " and ": "), to recognise a Python re-serializer. */
  spaced: string;
}

function payload(now: number) {
  return {
    data: {
      id: `doctor_${randomBytes(12).toString('hex')}`,
      object: 'clerk_sync_doctor',
      note: 'Test event sent by `clerk-sync doctor` to check this endpoint. Not a Clerk event: safe to ignore and delete. <&>',
    },
    object: 'event',
    type: DOCTOR_EVENT_TYPE,
    timestamp: now,
  };
}

export function doctorBodies(now = Date.now()): DoctorBodies {
  const compact = JSON.stringify(payload(now));
  return {
    compact,
    goEncoded: compact.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'),
    spaced: JSON.stringify(JSON.parse(compact), null, 1).replace(/\n */g, ' ').replace(/\{ /g, '{').replace(/ \}/g, '}'),
  };
}

/** The body with its note changed: what an attacker replaying a captured signature would send. */
export function tamper(body: string): string {
  return body.replace('Test event sent by', 'TAMPERED test event sent by');
}
