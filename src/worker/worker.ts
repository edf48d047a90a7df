import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { sql, type Transaction } from 'kysely';
import type { ClerkWebhookEvent } from '../events/catalog.js';
import { EventParseError, parseEvent, type ParsedEvent } from '../events/parse.js';
import { InboxQueue, type EventRow } from '../inbox/queue.js';
import { silentLogger, type Logger } from '../log.js';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase } from '../store/schema.js';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '../store/pool-mode.js';
import { deferWrites, flushWrites, runLater } from '../store/statement-batch.js';
import { entityKeys, takeEntities } from '../sync/entity-locks.js';
import { PermanentError, type EventProcessor, type Outcome, type ProcessedInfo } from '../processing.js';
import { LoopShare } from './loop-share.js';
import { DEFAULT_RETRY_SCHEDULE, nextRetryAt, parseRetrySchedule } from './retry-schedule.js';

// The contract lives in processing.ts; these names stay importable from here as they were.
export { PermanentError, type EventProcessor, type Outcome, type ProcessedInfo } from '../processing.js';

/** What Worker.processDue did: events by outcome, and whether due events are left for next time. */
export interface DrainSummary {
  processed: number;
  done: number;
  skipped: number;
  failed: number;
  dead: number;
  /** The budget ran out with events still due. */
  more_due: boolean;
  duration_ms: number;
}

export interface WorkerOptions {
  database: Database;
  process: EventProcessor;
  /** Batches processed at the same time. SQLite has one writer, so more than 1 helps only PostgreSQL. */
  concurrency?: number;
  /** Most events per transaction (64): fewer commits, same per-event atomicity; more holds more in memory at once. */
  batchSize?: number;
  /**
   * How long one batch may keep the database to itself (ms); it commits what it has applied when
   * over. SQLite has one connection, shared with the receiver, whose answers wait for the batch
   * to commit: the default 4 ms bounds their latency there (at a steady 1,000 req/s, the p99 was
   * 17-19 ms with 4 ms against 22-26 ms with 10 ms, and draining a backlog was no slower).
   * Unlimited by default on PostgreSQL.
   */
  batchBudgetMs?: number;
  /** Delays between attempts in ms; default DEFAULT_RETRY_SCHEDULE. */
  retrySchedule?: readonly number[];
  /** Fallback poll for retries coming due and events stored by other processes. */
  pollIntervalMs?: number;
  logger?: Logger;
  workerId?: string;
  onProcessed?: (info: ProcessedInfo) => void;
}

/**
 * Takes events from the inbox and applies them. `notify()` after a commit starts work at once;
 * a timer covers retries coming due and events stored by other processes.
 */
export class Worker {
  readonly id: string;
  readonly #queue: InboxQueue;
  readonly #database: Database;
  readonly #process: EventProcessor;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #batchBudgetMs: number;
  /** Events to claim next: shrinks to what fitted in the budget, grows back while batches fit. */
  #claimSize: number;
  readonly #retrySchedule: readonly number[];
  readonly #pollIntervalMs: number;
  readonly #log: Logger;
  readonly #onProcessed: ((info: ProcessedInfo) => void) | undefined;
  /** Sleeping loops: each one's wake-up, and whether new events wake it (stop() wakes them all). */
  readonly #sleepers = new Map<() => void, boolean>();
  #loops: Promise<void>[] = [];
  #running = false;
  #busy = 0;
  #careful = false;
  readonly #loopShare: LoopShare | null;
  #subscription: { close(): Promise<void> } | null = null;

  constructor(options: WorkerOptions) {
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#database = options.database;
    this.#queue = new InboxQueue(options.database);
    this.#process = options.process;
    this.#concurrency = options.concurrency ?? 1;
    const postgres = options.database.dialect === 'postgres';
    this.#batchSize = options.batchSize ?? 64;
    this.#batchBudgetMs = options.batchBudgetMs ?? (postgres ? Infinity : 4);
    this.#claimSize = this.#batchSize;
    this.#loopShare = postgres ? null : new LoopShare();
    this.#retrySchedule = options.retrySchedule ?? parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#log = options.logger ?? silentLogger;
    this.#onProcessed = options.onProcessed;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#subscription = this.#database.subscribeToEvents(() => this.notify(), this.#log);
    this.#loops = Array.from({ length: this.#concurrency }, () => this.#loop());
  }

  /** Whether its loops run (start() until stop()); processDue works either way. */
  get running(): boolean {
    return this.#running;
  }

  /** New events were committed: look for work now. */
  notify(): void {
    for (const [wake, onNotify] of this.#sleepers) if (onNotify) wake();
  }

  /** Stops taking work and waits for the batches in flight to commit. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const wake of this.#sleepers.keys()) wake();
    await Promise.all(this.#loops);
    this.#loops = [];
    await this.#subscription?.close();
    this.#subscription = null;
  }

  /**
   * Processes due events here and now, batch after batch, until none is due or `budgetMs` has
   * passed (a batch that has begun finishes): how a serverless host, where no loop runs between
   * requests, works the inbox after a response or from a scheduler. Needs no start(), and runs
   * beside the loops if they run. A database that fails throws, after any batches that committed.
   */
  async processDue({ budgetMs }: { budgetMs: number }): Promise<DrainSummary> {
    const startedAt = performance.now();
    const deadline = startedAt + budgetMs;
    const summary: DrainSummary = { processed: 0, done: 0, skipped: 0, failed: 0, dead: 0, more_due: false, duration_ms: 0 };
    for (;;) {
      const result = await this.#batch((info) => {
        summary.processed++;
        summary[info.outcome]++;
      });
      if (result === 'idle') break;
      if (performance.now() >= deadline) {
        const next = await this.#queue.nextDueAt();
        summary.more_due = next !== null && next <= Date.now();
        break;
      }
      if (result === 'blocked') await new Promise((r) => setTimeout(r, BLOCKED_PAUSE_MS));
    }
    summary.duration_ms = Math.round(performance.now() - startedAt);
    return summary;
  }

  /** Resolves once nothing is due or in flight (for tests and one-shot commands). */
  async drain(): Promise<void> {
    this.notify();
    for (;;) {
      if (this.#busy === 0) {
        const next = await this.#queue.nextDueAt();
        if (this.#busy === 0 && (next === null || next > Date.now())) return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async #loop(): Promise<void> {
    let errorBackoffMs = 0;
    while (this.#running) {
      let result: BatchResult;
      const startedAt = performance.now();
      try {
        result = await this.#batch();
        errorBackoffMs = 0;
      } catch (error) {
        // Unreachable or failing database: nothing of the batch committed. Back off, stay up.
        errorBackoffMs = Math.min(Math.max(errorBackoffMs * 2, 250), 30_000);
        this.#log.warn('worker could not process a batch; retrying', { error: errorMessage(error), retry_in_ms: errorBackoffMs });
        await this.#sleep(errorBackoffMs, false);
        continue;
      }
      if (result === 'worked') {
        // Let pending I/O (the receiver's answers) run between batches; on SQLite, whose batches
        // hold the event loop, stand back further while requests keep it busy.
        if (this.#loopShare) await this.#loopShare.afterBatch(performance.now() - startedAt, (ms) => this.#sleep(ms, false));
        else await yieldToIo();
        continue;
      }
      if (result === 'blocked') {
        // Another worker's batch holds every entity claimed: it commits within a batch's time.
        await this.#sleep(BLOCKED_PAUSE_MS, false);
        continue;
      }
      let wait = this.#pollIntervalMs;
      try {
        const next = await this.#queue.nextDueAt();
        if (next !== null) wait = Math.min(Math.max(next - Date.now(), 0), wait);
      } catch {}
      await this.#sleep(wait, true);
    }
  }

  #sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (this.#running) this.#sleepers.set(done, wakeOnNotify);
      else done();
    });
  }

  /**
   * One transaction: claim due events, apply each, record each outcome, commit. An event's writes
   * and its status commit together or not at all.
   *
   * Batches run optimistically without savepoints (each costs a round trip on PostgreSQL), and on
   * PostgreSQL with the sync's writes deferred, so they travel together (see deferWrites). When
   * an event throws, or a deferred write fails, the whole batch rolls back and the next batch
   * runs carefully: each event in its own savepoint, writes not deferred, so the failing one
   * rolls back alone and its failure is recorded.
   *
   * On PostgreSQL, workers run side by side. Two batches writing under one entity (a user and
   * their sessions, an organization and its memberships) could lock its rows in opposite orders
   * and deadlock, which costs both a second of waiting and one of them its work. So each batch
   * first takes the entities of the events it claimed, with try-locks that never wait, and leaves
   * the events whose entity another batch holds for a later batch. A deadlock that happens anyway
   * (in a handler's own tables, say) rolls the batch back and it runs again: that is no failure of
   * its events.
   */
  async #batch(onReport?: (info: ProcessedInfo) => void): Promise<BatchResult> {
    this.#busy++;
    const careful = this.#careful;
    const reports: ProcessedInfo[] = [];
    try {
      const result = await this.#database.db.transaction().execute(async (trx): Promise<BatchResult> => {
        const claimed = (await this.#queue.claim(trx, this.#claimSize)).map(parseClaimed);
        if (claimed.length === 0) return 'idle';
        const rows = this.#database.dialect === 'postgres' ? await takeEntities(trx, claimed.map((c) => ({ item: c, keys: keysOf(c.parsed) }))) : claimed;
        if (rows.length === 0) return 'blocked';
        if (!careful) deferWrites(trx, this.#database.dialect);
        // The commit need not wait for the server's disk: a batch lost in a server crash only
        // leaves its events pending (the inbox rows are committed durably by the receiver), and
        // the worker applies them again. Receivers' commits stay synchronous.
        if (this.#database.dialect === 'postgres') await runLater(trx, { sql: 'set local synchronous_commit = off', parameters: [] });
        // Through a transaction-mode pooler no startup parameter cuts off a transaction that hangs:
        // this one does, for this transaction only (postgres.ts sets it per connection otherwise).
        if (this.#database.poolMode === 'transaction') await runLater(trx, { sql: `set local idle_in_transaction_session_timeout = ${IDLE_IN_TRANSACTION_TIMEOUT_MS}`, parameters: [] });
        const finished: Finished[] = [];
        const deadline = performance.now() + this.#batchBudgetMs;
        let applied = 0;
        for (const claim of rows) {
          const done = careful ? await this.#applyCarefully(trx, claim) : await this.#apply(trx, claim);
          if ('row' in done) finished.push(done);
          else reports.push(done); // a failure, already recorded inside its savepoint
          // Over budget: commit what is applied; the rest stays pending for the next batch.
          if (++applied < rows.length && performance.now() > deadline) break;
        }
        this.#claimSize = applied < rows.length ? Math.max(8, applied) : Math.min(this.#batchSize, this.#claimSize * 2);
        await this.#queue.finish(trx, this.id, finished);
        // A deferred write that fails fails here: some event of the batch did, as if it had thrown.
        await flushWrites(trx).catch((error: unknown) => Promise.reject(isLockConflict(error) ? error : new EventFailure(error)));
        for (const f of finished) reports.push(info(f.row, f.outcome, f.durationMs));
        return 'worked';
      });
      if (result === 'worked') this.#careful = false;
      for (const r of reports) {
        this.#report(r);
        onReport?.(r);
      }
      return result;
    } catch (error) {
      if (isLockConflict(error)) {
        this.#log.info('batch rolled back on a lock conflict with another transaction; running it again', { error: errorMessage(error) });
        return 'worked';
      }
      if (careful || !(error instanceof EventFailure)) throw error instanceof EventFailure ? error.cause : error;
      this.#careful = true;
      return 'worked';
    } finally {
      this.#busy--;
    }
  }

  async #apply(trx: Transaction<ClerkSyncDatabase>, { row, parsed }: Claimed): Promise<Finished> {
    const startedAt = Date.now();
    const t0 = performance.now();
    try {
      if (parsed instanceof EventParseError) throw parsed;
      if (parsed.known) await this.#process(trx, parsed.event, row);
      return { row, outcome: parsed.known ? 'done' : 'skipped', startedAt, durationMs: performance.now() - t0 };
    } catch (error) {
      // A lock conflict is no fault of the event: the whole batch rolls back and runs again.
      throw isLockConflict(error) ? error : new EventFailure(error);
    }
  }

  async #applyCarefully(trx: Transaction<ClerkSyncDatabase>, claim: Claimed): Promise<Finished | ProcessedInfo> {
    const { row } = claim;
    const startedAt = Date.now();
    await sql`savepoint clerk_sync_event`.execute(trx);
    try {
      const finished = await this.#apply(trx, claim);
      await sql`release savepoint clerk_sync_event`.execute(trx);
      return finished;
    } catch (failure) {
      if (!(failure instanceof EventFailure)) throw failure;
      await sql`rollback to savepoint clerk_sync_event`.execute(trx);
      await sql`release savepoint clerk_sync_event`.execute(trx);
      const error = failure.cause;
      const message = errorMessage(error);
      const retryAt = error instanceof PermanentError ? null : nextRetryAt(row.attempts + 1, this.#retrySchedule, Date.now());
      const outcome = await this.#queue.fail(trx, this.id, row, message, retryAt, startedAt);
      return info(row, outcome, Date.now() - startedAt, message);
    }
  }

  #report(info: ProcessedInfo): void {
    this.#onProcessed?.(info);
    const log = info.outcome === 'failed' || info.outcome === 'dead' ? this.#log.warn : this.#log.info;
    log('event processed', {
      svix_id: info.svixId, type: info.type, outcome: info.outcome, attempt: info.attempt,
      duration_ms: Math.round(info.durationMs * 100) / 100, ...(info.error ? { error: info.error } : {}),
    });
  }
}

/**
 * What a batch did: applied events (or must run again at once), found every event it claimed held
 * by another worker's batch, or found nothing due.
 */
type BatchResult = 'worked' | 'blocked' | 'idle';

/** How long to wait when other batches hold every entity claimed (ms): about one batch's time. */
const BLOCKED_PAUSE_MS = 5;

/** A claimed event, parsed once: its entities decide whether this batch may apply it. */
interface Claimed {
  row: EventRow;
  parsed: ParsedEvent | EventParseError;
}

function parseClaimed(row: EventRow): Claimed {
  try {
    return { row, parsed: parseEvent(row.body) };
  } catch (error) {
    return { row, parsed: error as EventParseError };
  }
}

/** An event that does not parse writes nothing, and one of a type outside the catalog is skipped. */
function keysOf(parsed: Claimed['parsed']) {
  return parsed instanceof EventParseError || !parsed.known ? [] : entityKeys(parsed.event.type, parsed.event.data);
}

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply run again. */
function isLockConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Processing code threw (as opposed to the database failing while recording an outcome). */
class EventFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(errorMessage(cause));
  }
}

interface Finished {
  row: EventRow;
  outcome: 'done' | 'skipped';
  startedAt: number;
  durationMs: number;
}

function info(row: EventRow, outcome: Outcome, durationMs: number, error?: string): ProcessedInfo {
  return { svixId: row.svix_id, type: row.type, outcome, attempt: row.attempts + 1, durationMs, ...(error === undefined ? {} : { error }) };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
