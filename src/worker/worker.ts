import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Transaction } from 'kysely';
import { parseEvent } from '../events/parse.js';
import type { ClerkWebhookEvent } from '../events/catalog.js';
import { InboxQueue, LeaseLostError, type EventRow } from '../inbox/queue.js';
import { silentLogger, type Logger } from '../log.js';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase } from '../store/schema.js';
import { DEFAULT_RETRY_SCHEDULE, nextRetryAt, parseRetrySchedule } from './retry-schedule.js';

/** Throw this from processing code to send an event straight to `dead`, without retries. */
export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** Applies one event inside the transaction that also marks it done. */
export type EventProcessor = (trx: Transaction<ClerkSyncDatabase>, event: ClerkWebhookEvent, row: EventRow) => Promise<void>;

export type Outcome = 'done' | 'skipped' | 'failed' | 'dead';

export interface ProcessedInfo {
  svixId: string;
  type: string;
  outcome: Outcome;
  attempt: number;
  durationMs: number;
  error?: string;
}

export interface WorkerOptions {
  database: Database;
  process: EventProcessor;
  /** Events processed at the same time. SQLite has one writer, so more than 1 helps only PostgreSQL. */
  concurrency?: number;
  /** Delays between attempts, e.g. [5000, 30000]; default DEFAULT_RETRY_SCHEDULE. */
  retrySchedule?: readonly number[];
  /** Fallback poll for events that became due (retries) or were added by another process. */
  pollIntervalMs?: number;
  /** A claim older than this is considered abandoned by a dead worker and given to another. */
  leaseMs?: number;
  logger?: Logger;
  workerId?: string;
  onProcessed?: (info: ProcessedInfo) => void;
}

/**
 * Takes events from the inbox and applies them. Event-driven: `notify()` after a commit starts
 * work at once; a timer covers retries coming due and events stored by other processes.
 */
export class Worker {
  readonly id: string;
  readonly #queue: InboxQueue;
  readonly #opts: Required<Omit<WorkerOptions, 'workerId' | 'onProcessed'>> & Pick<WorkerOptions, 'onProcessed'>;
  readonly #buffer: EventRow[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #claiming = false;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #errorBackoffMs = 0;
  #lastLeaseSweep = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(options: WorkerOptions) {
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#queue = new InboxQueue(options.database);
    this.#opts = {
      concurrency: 1,
      retrySchedule: parseRetrySchedule(DEFAULT_RETRY_SCHEDULE),
      pollIntervalMs: 1000,
      leaseMs: 120_000,
      logger: silentLogger,
      ...options,
    };
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#pump();
  }

  /** New events were committed: look for work now. */
  notify(): void {
    if (this.#running) this.#pump();
  }

  /** Stops claiming, finishes the events in flight, and hands back claimed-but-unstarted ones. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    while (this.#inFlight.size > 0 || this.#claiming) await Promise.race([...this.#inFlight, delay(5)]);
    const unstarted = this.#buffer.splice(0);
    if (unstarted.length > 0) await this.#queue.releaseClaimsOf(this.id).catch(() => {});
    this.#settleIdle();
  }

  /** Resolves once nothing is due, claimed or in flight (used by tests and one-shot commands). */
  async drain(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => {
        this.#idleWaiters.push(resolve);
        this.#pump();
      });
      const next = await this.#queue.nextDueAt();
      if (next === null || next > Date.now()) return;
    }
  }

  #pump(): void {
    if (!this.#running) return;
    while (this.#inFlight.size < this.#opts.concurrency && this.#buffer.length > 0) {
      const row = this.#buffer.shift()!;
      const p = this.#processRow(row).finally(() => {
        this.#inFlight.delete(p);
        this.#pump();
      });
      this.#inFlight.add(p);
    }
    if (this.#buffer.length === 0 && !this.#claiming && this.#inFlight.size < this.#opts.concurrency) void this.#claim();
  }

  async #claim(): Promise<void> {
    this.#claiming = true;
    clearTimeout(this.#timer);
    try {
      await this.#sweepLeases();
      const rows = await this.#queue.claim(this.id, Math.max(this.#opts.concurrency * 4, 32));
      this.#errorBackoffMs = 0;
      this.#claiming = false;
      if (rows.length > 0) {
        this.#buffer.push(...rows);
        this.#pump();
        return;
      }
      if (this.#inFlight.size === 0) this.#settleIdle();
      this.#schedule(await this.#untilNextDue());
    } catch (error) {
      this.#claiming = false;
      // The database is unreachable or busy: back off, stay up, try again.
      this.#errorBackoffMs = Math.min(Math.max(this.#errorBackoffMs * 2, 250), 30_000);
      this.#opts.logger.warn('worker cannot reach the database; retrying', { error: errorMessage(error), retry_in_ms: this.#errorBackoffMs });
      this.#schedule(this.#errorBackoffMs);
    }
  }

  async #untilNextDue(): Promise<number> {
    const next = await this.#queue.nextDueAt();
    const poll = this.#opts.pollIntervalMs;
    return next === null ? poll : Math.min(Math.max(next - Date.now(), 0), poll);
  }

  #schedule(ms: number): void {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#pump(), ms);
    this.#timer.unref?.();
  }

  async #sweepLeases(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastLeaseSweep < this.#opts.leaseMs / 4) return;
    this.#lastLeaseSweep = now;
    const released = await this.#queue.releaseExpiredClaims(this.#opts.leaseMs, now);
    if (released > 0) this.#opts.logger.warn('recovered events claimed by a worker that stopped responding', { count: released });
  }

  #settleIdle(): void {
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #processRow(row: EventRow): Promise<void> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const attempt = row.attempts + 1;
    const report = (outcome: Outcome, error?: string) => {
      const durationMs = performance.now() - t0;
      const info: ProcessedInfo = { svixId: row.svix_id, type: row.type, outcome, attempt, durationMs, ...(error === undefined ? {} : { error }) };
      this.#opts.onProcessed?.(info);
      const log = outcome === 'failed' || outcome === 'dead' ? this.#opts.logger.warn : this.#opts.logger.info;
      log('event processed', { svix_id: row.svix_id, type: row.type, outcome, attempt, duration_ms: Math.round(durationMs * 100) / 100, ...(error ? { error } : {}) });
    };
    try {
      const parsed = parseEvent(row.body);
      const outcome = parsed.known ? 'done' : 'skipped';
      await this.#opts.database.db.transaction().execute(async (trx) => {
        if (parsed.known) await this.#opts.process(trx, parsed.event, row);
        await this.#queue.finish(trx, row, this.id, outcome, startedAt);
      });
      report(outcome);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.#opts.logger.warn(error.message, { svix_id: row.svix_id });
        return;
      }
      const message = errorMessage(error);
      const retryAt = error instanceof PermanentError ? null : nextRetryAt(attempt, this.#opts.retrySchedule, Date.now());
      try {
        report(await this.#queue.fail(row, this.id, message, retryAt, startedAt), message);
      } catch (failError) {
        // Could not even record the failure: the lease expires and the event is retried.
        this.#opts.logger.error('could not record a failed attempt; the event will be retried after its lease expires', { svix_id: row.svix_id, error: errorMessage(failError) });
      }
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
