/**
 * How Svix (and so Clerk) delivers: after a failed attempt it retries 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h and 10 h later (8 attempts, about 27.6 h in all). An attempt succeeds when the
 * endpoint answers 2xx within 15 s; a 3xx, any other status or no answer in time is a failure.
 */
export const SVIX_RETRY_DELAYS_MS: readonly number[] = [5e3, 300e3, 1800e3, 7200e3, 18000e3, 36000e3, 36000e3];
export const SVIX_MAX_ATTEMPTS = SVIX_RETRY_DELAYS_MS.length + 1;
export const SVIX_TIMEOUT_MS = 15_000;

/** `5s`, `5m`, `2h`, `430ms`: the largest unit that keeps it whole, for messages. */
export function formatDuration(ms: number): string {
  if (ms >= 3600e3 && ms % 3600e3 === 0) return `${ms / 3600e3}h`;
  if (ms >= 60e3 && ms % 60e3 === 0) return `${ms / 60e3}m`;
  if (ms >= 1e3 && ms % 1e3 === 0) return `${ms / 1e3}s`;
  if (ms >= 10e3) return `${(ms / 1e3).toFixed(1)}s`;
  return `${Math.round(ms)}ms`;
}
