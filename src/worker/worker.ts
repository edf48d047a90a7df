import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { sql, type Transaction } from 'kysely';
import { cleanJson, columnText, mayNeedCleaning } from '../events/content.js';
import { EventParseError, parseEvent, type ParsedEvent } from '../events/parse.js';
import { InboxTally } from '../inbox/rollups.js';
import { InboxQueue, type EventRow } from '../inbox/queue.js';
import { redactEventsOfDeletedUsers } from '../inbox/redact.js';
import { silentLogger, type Logger } from '../log.js';
import type { Database } from '../store/database.js';
import { isContentError, isLockConflict, isUnreachable } from '../store/errors.js';
import type { ClerkSyncDatabase } from '../store/schema.js';
import { sqlDialect, type SqlDialect } from '../store/dialect.js';
import { SqlWriter } from '../store/sql-writer.js';
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
  /** Finished events the retention purged (drain() with `retentionMs`, at most hourly). */
  purged?: number;
  /** The reconcile this call ran or resumed (drain() with `reconcile`, when one was due). */
  reconcile?: { run: number | null; status: string };
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
   * to commit: the default 2 ms bounds their latency there (see the dialect's batchBudgetMs).
   * Unlimited by default on PostgreSQL.
   */
  batchBudgetMs?: number;
  /** Once caught up, how long from a batch's start the next events gather before the next claim (ms); the dialect's gatherMs by default. */
  gatherMs?: number;
  /** Delays between attempts in ms; default DEFAULT_RETRY_SCHEDULE. */
  retrySchedule?: readonly number[];
  /** Fallback poll for retries coming due and events stored by other processes. */
  pollIntervalMs?: number;
  logger?: Logger;
  workerId?: string;
  onProcessed?: (info: ProcessedInfo) => void;
  /** Called when a batch fails as a whole and is retried (metrics). */
  onBatchFailed?: () => void;
}

/** Worker.health(): ok, or failing batch after batch since a time, with the last error. */
export type WorkerHealth = { ok: true } | { ok: false; failing_since: number; consecutive_failures: number; last_error: string };

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
  readonly #gatherMs: number;
  /** Events to claim next: shrinks to what fitted in the budget, grows back while batches fit. */
  #claimSize: number;
  /** The last batch applied every due event: it claimed fewer than it asked for and left none behind. */
  #drained = false;
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
  readonly #dialect: SqlDialect;
  #subscription: { close(): Promise<void> } | null = null;
  #failing: { since: number; failures: number; lastError: string } | null = null;
  readonly #onBatchFailed: (() => void) | undefined;

  constructor(options: WorkerOptions) {
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#database = options.database;
    this.#queue = new InboxQueue(options.database);
    this.#process = options.process;
    this.#concurrency = options.concurrency ?? 1;
    this.#dialect = sqlDialect(options.database.dialect);
    this.#batchSize = options.batchSize ?? 64;
    this.#batchBudgetMs = options.batchBudgetMs ?? this.#dialect.batchBudgetMs;
    this.#gatherMs = options.gatherMs ?? this.#dialect.gatherMs;
    this.#claimSize = this.#batchSize;
    this.#loopShare = this.#dialect.sharesEventLoop ? new LoopShare() : null;
    this.#retrySchedule = options.retrySchedule ?? parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#log = options.logger ?? silentLogger;
    this.#onProcessed = options.onProcessed;
    this.#onBatchFailed = options.onBatchFailed;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#subscription = this.#database.subscribeToEvents(() => this.notify(), this.#log);
    this.#loops = Array.from({ length: this.#concurrency }, () => this.#loop());
  }

  /**
   * Whether its batches keep failing (the database refuses them), since when, and why: for
   * /readyz and /metrics. One batch that goes through ends it.
   */
  health(): WorkerHealth {
    const f = this.#failing;
    return f ? { ok: false, failing_since: f.since, consecutive_failures: f.failures, last_error: f.lastError } : { ok: true };
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
      let result: BatchResult;
      try {
        result = await this.#batch((info) => {
          summary.processed++;
          summary[info.outcome]++;
        });
        this.#failing = null;
      } catch (error) {
        this.#batchFailed(error);
        throw error;
      }
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
        this.#failing = null;
      } catch (error) {
        // Unreachable or failing database: nothing of the batch committed. Back off, stay up.
        errorBackoffMs = Math.min(Math.max(errorBackoffMs * 2, 250), 30_000);
        this.#batchFailed(error);
        this.#log.warn('worker could not process a batch; retrying', { error: errorMessage(error), retry_in_ms: errorBackoffMs });
        await this.#sleep(errorBackoffMs, false);
        continue;
      }
      if (result === 'worked') {
        // Let pending I/O (the receiver's answers) run between batches; on SQLite, whose batches
        // hold the event loop, stand back further while requests keep it busy.
        if (this.#loopShare) await this.#loopShare.afterBatch(performance.now() - startedAt, (ms) => this.#sleep(ms, false));
        else await yieldToIo();
        // Caught up: let the next events gather into one transaction instead of one each.
        const gathered = startedAt + this.#gatherMs - performance.now();
        if (this.#drained && gathered > 0) await this.#sleep(gathered, false);
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

  /** A batch failed as a whole: the worker is failing until one goes through (health(), metrics). */
  #batchFailed(error: unknown): void {
    this.#failing = { since: this.#failing?.since ?? Date.now(), failures: (this.#failing?.failures ?? 0) + 1, lastError: errorMessage(error) };
    this.#onBatchFailed?.();
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
    // Caught up only once a batch that applied every due event has committed.
    this.#drained = false;
    let caughtUp = false;
    try {
      const result = await this.#database.db.transaction().execute(async (trx): Promise<BatchResult> => {
        const asked = this.#claimSize;
        const claimed = (await this.#queue.claim(trx, asked)).map(parseClaimed);
        if (claimed.length === 0) return 'idle';
        // Careful batches write statement by statement, so that a failure is the event's own.
        const writer = new SqlWriter(trx, this.#dialect, { deferred: !careful });
        // What the batch does to the inbox's counters, written as its last statements.
        const tally = new InboxTally();
        for (const setting of this.#dialect.batchSettings(this.#database.poolMode)) await writer.run(setting);
        if (careful) {
          const result = await this.#batchCarefully(writer, claimed, reports, tally);
          const processed = new Set(reports.map((r) => r.svixId));
          await this.#redactCarefully(writer, claimed.filter((c) => processed.has(c.row.svix_id)).map(concerns));
          await tally.write(writer);
          return result;
        }
        const rows = await takeEntities(trx, this.#dialect, claimed.map((c) => ({ item: c, keys: keysOf(c.parsed) })));
        if (rows.length === 0) return 'blocked';
        const finished: Finished[] = [];
        const deadline = performance.now() + this.#batchBudgetMs;
        let applied = 0;
        for (const claim of rows) {
          finished.push(await this.#apply(writer, claim));
          // Over budget: commit what is applied; the rest stays pending for the next batch.
          if (++applied < rows.length && performance.now() > deadline) break;
        }
        this.#claimSize = applied < rows.length ? Math.max(8, applied) : Math.min(this.#batchSize, this.#claimSize * 2);
        // Events cut by the budget, or held by another batch, are due already: not caught up.
        caughtUp = claimed.length < asked && applied === claimed.length;
        await this.#queue.finish(writer, this.id, finished, tally);
        await redactEventsOfDeletedUsers(writer, rows.slice(0, applied).map(concerns));
        await tally.write(writer);
        // A deferred write that fails fails here (or in the read above): some event of the batch
        // did, as if it had thrown.
        await writer.flush();
        for (const f of finished) reports.push(info(f.row, f.outcome, f.durationMs));
        return 'worked';
      });
      if (result === 'worked') this.#careful = false;
      this.#drained = caughtUp;
      for (const r of reports) {
        this.#report(r);
        onReport?.(r);
      }
      return result;
    } catch (error) {
      const cause = error instanceof EventFailure ? error.cause : error;
      if (isLockConflict(cause)) {
        this.#log.info('batch rolled back on a lock conflict with another transaction; running it again', { error: errorMessage(cause) });
        return 'worked';
      }
      // The database is away, or the careful batch failed as a whole: the loop backs off.
      if (careful || isUnreachable(cause)) throw cause;
      // An event threw, a deferred write failed, or a step the events share refused something:
      // run the batch again one event at a time, so that only the event at fault fails.
      this.#careful = true;
      return 'worked';
    } finally {
      this.#busy--;
    }
  }

  async #apply(writer: SqlWriter, { row, parsed }: Claimed): Promise<Finished> {
    const startedAt = Date.now();
    const t0 = performance.now();
    try {
      if (parsed instanceof EventParseError) throw parsed;
      if (parsed.known) await this.#process(writer.db as Transaction<ClerkSyncDatabase>, parsed.event, row, writer);
      return { row, outcome: parsed.known ? 'done' : 'skipped', startedAt, durationMs: performance.now() - t0 };
    } catch (error) {
      // A lock conflict is no fault of the event: the whole batch rolls back and runs again.
      throw isLockConflict(error) ? error : new EventFailure(error);
    }
  }

  /**
   * The careful batch: each event in a savepoint of its own, with everything that concerns it
   * (its entities' try-locks, its writes, its outcome), so nothing one event holds can fail
   * another. An event whose entities another worker holds stays pending.
   */
  /**
   * The late-arrival erasure of a careful batch, under its own savepoint: if it fails (logged),
   * the events are still recorded as processed, and keep their bodies until retention or
   * `clerk-sync purge` removes them.
   */
  async #redactCarefully(writer: SqlWriter, concerning: ReturnType<typeof concerns>[]): Promise<void> {
    const trx = writer.db as Transaction<ClerkSyncDatabase>;
    await sql`savepoint clerk_sync_redact`.execute(trx);
    try {
      await redactEventsOfDeletedUsers(writer, concerning);
      await sql`release savepoint clerk_sync_redact`.execute(trx);
    } catch (error) {
      await sql`rollback to savepoint clerk_sync_redact`.execute(trx);
      this.#log.warn('could not redact the processed events of deleted users; they keep their bodies for now', { error: errorMessage(error) });
    }
  }

  async #batchCarefully(writer: SqlWriter, claimed: Claimed[], reports: ProcessedInfo[], tally: InboxTally): Promise<BatchResult> {
    const deadline = performance.now() + this.#batchBudgetMs;
    let held = 0;
    for (let i = 0; i < claimed.length; i++) {
      const outcome = await this.#applyCarefully(writer, claimed[i]!, tally);
      if (outcome === 'held') held++;
      else reports.push(outcome);
      if (i + 1 < claimed.length && performance.now() > deadline) break;
    }
    return held === claimed.length ? 'blocked' : 'worked';
  }

  /** One event under a savepoint; `tally` counts its outcome once the savepoint holds it. */
  async #applyCarefully(writer: SqlWriter, claim: Claimed, tally: InboxTally): Promise<ProcessedInfo | 'held'> {
    const { row } = claim;
    const trx = writer.db as Transaction<ClerkSyncDatabase>;
    const startedAt = Date.now();
    await sql`savepoint clerk_sync_event`.execute(trx);
    try {
      if ((await takeEntities(trx, this.#dialect, [{ item: claim, keys: keysOf(claim.parsed) }])).length === 0) {
        await sql`release savepoint clerk_sync_event`.execute(trx);
        return 'held';
      }
      const finished = await this.#apply(writer, claim);
      const counted = new InboxTally();
      await this.#queue.finish(writer, this.id, [finished], counted);
      await sql`release savepoint clerk_sync_event`.execute(trx);
      tally.add(counted);
      return info(row, finished.outcome, finished.durationMs);
    } catch (failure) {
      await sql`rollback to savepoint clerk_sync_event`.execute(trx);
      await sql`release savepoint clerk_sync_event`.execute(trx);
      const error = failure instanceof EventFailure ? failure.cause : failure;
      if (isLockConflict(error) || isUnreachable(error)) throw error;
      const message = columnText(errorMessage(error));
      // What can never succeed is dead at once: its content (a PermanentError of the sync or a
      // handler, a value the database refuses, nesting beyond the stack) is the same next time.
      const permanent = error instanceof PermanentError || error instanceof EventParseError || error instanceof RangeError || isContentError(error);
      const retryAt = permanent ? null : nextRetryAt(row.attempts + 1, this.#retrySchedule, Date.now());
      return info(row, await this.#recordFailure(trx, row, message, retryAt, startedAt, tally), Date.now() - startedAt, message);
    }
  }

  /**
   * Records a failed attempt; if even that is refused (a trigger, a constraint of the app's on
   * our tables), the event is marked dead with why, so it cannot hold up the rest.
   */
  async #recordFailure(trx: Transaction<ClerkSyncDatabase>, row: EventRow, message: string, retryAt: number | null, startedAt: number, tally: InboxTally): Promise<'failed' | 'dead'> {
    await sql`savepoint clerk_sync_outcome`.execute(trx);
    try {
      const counted = new InboxTally();
      const outcome = await this.#queue.fail(trx, this.id, row, message, retryAt, startedAt, counted);
      await sql`release savepoint clerk_sync_outcome`.execute(trx);
      tally.add(counted);
      return outcome;
    } catch (error) {
      await sql`rollback to savepoint clerk_sync_outcome`.execute(trx);
      await sql`release savepoint clerk_sync_outcome`.execute(trx);
      if (isLockConflict(error) || isUnreachable(error)) throw error;
      await this.#queue.markDead(trx, this.id, row, columnText(`${message} (and its outcome could not be recorded: ${errorMessage(error)})`), tally);
      return 'dead';
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

/**
 * Parsed, then passed through the content policy: the sync, its entity locks and the handlers
 * see every string well-formed and the nesting cut (see events/content.ts).
 */
function parseClaimed(row: EventRow): Claimed {
  try {
    const parsed = parseEvent(row.body);
    return { row, parsed: mayNeedCleaning(row.body) ? ({ ...parsed, event: cleanJson(parsed.event) } as ParsedEvent) : parsed };
  } catch (error) {
    return { row, parsed: error as EventParseError };
  }
}

/** An event that does not parse writes nothing, and one of a type outside the catalog is skipped. */
function keysOf(parsed: Claimed['parsed']) {
  return parsed instanceof EventParseError || !parsed.known ? [] : entityKeys(parsed.event.type, parsed.event.data);
}

/** The users an event is about, whose deletion erases it from the inbox (inbox/redact.ts). */
function concerns({ row, parsed }: Claimed) {
  return { svixId: row.svix_id, userIds: keysOf(parsed).filter((k) => k.table === 'clerk_users').map((k) => k.id) };
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
