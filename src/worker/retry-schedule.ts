import { parseDuration } from '../duration.js';

/**
 * Delays before each retry of a failed event; after the last one the event is `dead`.
 * The default spreads 8 retries over about 10 hours, inside Svix's own 27-hour window, so a
 * transient outage of your database or a dependency heals by itself.
 */
export const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,10m,30m,1h,2h,6h';

/** Parses `5s,30s,2m,1h` (units ms, s, m, h, d) into milliseconds. */
export function parseRetrySchedule(spec: string): number[] {
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  return trimmed.split(/\s*,\s*/).map((part) => {
    const ms = parseDuration(part);
    if (ms === null) throw new Error(`invalid retry delay "${part}" in "${spec}": use numbers with a unit, e.g. "5s,30s,2m,1h" (units: ms, s, m, h, d)`);
    return Math.round(ms);
  });
}

/**
 * When to retry after failed attempt number `attempt` (1-based), or null when retries are used up.
 * Jitter of ±20% keeps a burst of failures from retrying in lockstep.
 */
export function nextRetryAt(attempt: number, schedule: readonly number[], now: number, random: () => number = Math.random): number | null {
  const delay = schedule[attempt - 1];
  if (delay === undefined) return null;
  return now + Math.round(delay * (0.8 + 0.4 * random()));
}
