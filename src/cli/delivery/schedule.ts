import { isSuccess, sendSigned, type SendResult } from './send.js';
import { SVIX_MAX_ATTEMPTS, SVIX_RETRY_DELAYS_MS } from './svix-schedule.js';

/** One message to deliver. Duplicates are separate deliveries with the same id and body. */
export interface Delivery {
  /** svix-id: the same on every attempt and every duplicate of one message. */
  id: string;
  type: string;
  body: string;
  /** True for the extra copies `--duplicate` adds. */
  duplicate?: boolean;
}

export interface AttemptReport extends SendResult {
  delivery: Delivery;
  /** 1-based. */
  attempt: number;
  ok: boolean;
  /** When a retry follows: its delay as Svix would wait it, and as actually waited after compression. */
  retry: { svixDelayMs: number; waitMs: number } | null;
}

export interface ScheduleOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  /** Pause after each first attempt before the next delivery's. */
  delayMs?: number;
  /** Retry failures on Svix's schedule (8 attempts); false: one attempt each. */
  retry?: boolean;
  /** Divides Svix's retry delays: 1000 turns 5 s into 5 ms and the whole 27.6 h into 1.7 min. */
  retrySpeed?: number;
  headers?: Record<string, string>;
  onAttempt?: (report: AttemptReport) => void;
}

export interface ScheduleResult {
  attempts: number;
  /** Deliveries that never got a 2xx. */
  failed: Delivery[];
}

interface Due {
  at: number;
  seq: number;
  delivery: Delivery;
  attempt: number;
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * Delivers like Svix: first attempts in order (spaced by `delayMs`), each failure rescheduled on
 * Svix's retry schedule while the others go on, so a failed message arrives again later, after
 * messages that were sent after it. One request at a time, in due order.
 */
export async function deliverOnSchedule(deliveries: readonly Delivery[], options: ScheduleOptions): Promise<ScheduleResult> {
  const speed = options.retrySpeed ?? 1;
  let seq = 0;
  let nextFirst = 0;
  let nextFirstAt = Date.now();
  const retries: Due[] = [];
  const failed: Delivery[] = [];
  let attempts = 0;
  while (nextFirst < deliveries.length || retries.length > 0) {
    retries.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const isRetry = retries.length > 0 && (nextFirst >= deliveries.length || retries[0]!.at <= nextFirstAt);
    const next: Due = isRetry ? retries.shift()! : { at: nextFirstAt, seq: seq++, delivery: deliveries[nextFirst++]!, attempt: 1 };
    await sleep(next.at - Date.now());
    const result = await sendSigned(next.delivery.body, { url: options.url, secret: options.secret, id: next.delivery.id, timeoutMs: options.timeoutMs, headers: options.headers });
    attempts++;
    // --delay is a pause after each first delivery, however long the request took.
    if (!isRetry) nextFirstAt = Date.now() + (options.delayMs ?? 0);
    const ok = isSuccess(result.status);
    const canRetry = !ok && options.retry === true && next.attempt < SVIX_MAX_ATTEMPTS;
    const svixDelayMs = canRetry ? SVIX_RETRY_DELAYS_MS[next.attempt - 1]! : 0;
    const retry = canRetry ? { svixDelayMs, waitMs: svixDelayMs / speed } : null;
    options.onAttempt?.({ ...result, delivery: next.delivery, attempt: next.attempt, ok, retry });
    if (retry) retries.push({ at: Date.now() + retry.waitMs, seq: seq++, delivery: next.delivery, attempt: next.attempt + 1 });
    else if (!ok) failed.push(next.delivery);
  }
  return { attempts, failed };
}
