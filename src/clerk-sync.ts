import { InboxWriter } from './inbox/writer.js';
import { silentLogger, type Logger } from './log.js';
import { migrateToLatest } from './store/migrate.js';
import { openDatabase, type Database } from './store/database.js';
import type { SqliteDurability } from './store/sqlite.js';
import { syncTables } from './sync/sync-tables.js';
import { WebhookReceiver, type DeliveryContext, type IncomingWebhook } from './receiver/receiver.js';
import type { ReceiverResponse } from './receiver/response.js';
import { createVerifier, SIGNING_SECRET_ENV, type VerifyOptions } from './verify/index.js';
import { unprefixedSecretWarning } from './verify/secret.js';
import { Worker, type DrainSummary, type EventProcessor, type ProcessedInfo } from './worker/worker.js';
import { detectServerless } from './serverless/runtime.js';
import { ServerlessProcessing, type ServerlessOptions, type WaitUntil } from './serverless/processing.js';
import { DEFAULT_DRAIN_BUDGET_MS } from './serverless/drain-handler.js';
import { MIN_RETENTION_MS } from './inbox/retention.js';
import { purgeExpired, RETENTION_EVERY_MS, startRetentionJob } from './worker/retention-job.js';
import { EventHandlers } from './handlers/registry.js';
import { reconcileIfDue, scheduleKey, startReconcileSchedule, type ReconcileScheduleOptions } from './reconcile/schedule.js';
import { DEFAULT_HANDLER_TIMEOUT_MS, handlingProcessor } from './handlers/handling.js';
import { syncFilter, type SyncOption } from './handlers/sync-filter.js';
import type { EventHandler, EventOfType, HandlerMap } from './handlers/types.js';
import type { ClerkEventType, ClerkWebhookEvent } from './events/catalog.js';

export const SECRET_ENV = SIGNING_SECRET_ENV;

/** Wrong or missing configuration; the message says how to fix it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `AppDatabase`: the Kysely interface of your own tables, which types `ctx.trx` in handlers. */
export interface ClerkSyncOptions<AppDatabase = {}> {
  /** Signing secret(s), `whsec_...`; several (rotation) separated by spaces or commas. Default: $CLERK_WEBHOOK_SIGNING_SECRET. */
  secret?: string | readonly string[];
  /** A database URL / SQLite path, or an opened Database. Default: ./clerk-sync.db */
  database?: string | Database;
  durability?: SqliteDurability;
  maxBodyBytes?: number;
  /** Most bytes of webhook bodies read at once, across requests (default 64 MiB): past it, 503 busy. */
  maxInFlightBodyBytes?: number;
  verify?: VerifyOptions;
  /** Worker settings, or false for a receiver that only stores (another process works the inbox). */
  worker?: false | { concurrency?: number; batchSize?: number; retrySchedule?: readonly number[]; pollIntervalMs?: number };
  /**
   * For hosts that freeze the process once it has answered (Vercel, Netlify, AWS Lambda): no
   * worker loop; each stored delivery is followed by processing what is due, after the answer
   * (`waitUntil`) or before it, and `drain()` serves a scheduler's route. Default: on when such a
   * host is detected (VERCEL, AWS_LAMBDA_FUNCTION_NAME, NETLIFY), or as $CLERK_SYNC_SERVERLESS
   * says; `true`/`false` or options force it. It also keeps the PostgreSQL pool at 2 connections.
   */
  serverless?: boolean | ServerlessOptions;
  /**
   * Serverless only: how to keep the function running after its answer, to process then: `after`
   * from `next/server` (the Next.js adapter finds it itself), `waitUntil` from `@vercel/functions`,
   * Netlify's `context.waitUntil`. Without it, events are processed before the answer, within the budget.
   */
  waitUntil?: WaitUntil;
  /** The built-in processing step (narrowed by `sync`, followed by `handlers`); default: sync the clerk_* tables. */
  process?: EventProcessor;
  /**
   * Which events the built-in table sync applies: true (default), false (handlers only), or
   * `{ only: [...] }` / `{ except: [...] }` with event types or namespaces (`'user.*'`).
   */
  sync?: SyncOption;
  /**
   * Your code per event type, run by the worker after the sync, in the same transaction:
   * `{ 'user.created': async (event, ctx) => ..., '*': ... }`, or an EventHandlers registry.
   */
  handlers?: HandlerMap<AppDatabase> | EventHandlers<AppDatabase>;
  /**
   * Purges finished (`done`, `skipped`) events older than this many ms, hourly: in the background
   * of a long-lived process, or by `drain()` (the cron route) on a serverless host. At least 2
   * days (Svix retries a delivery for about 28 hours). Default: off, events are kept.
   */
  retentionMs?: number;
  /**
   * Reconcile with Clerk's Backend API on a schedule (`{ everyMs: 86_400_000 }`; the key from
   * $CLERK_SECRET_KEY): in the background of a long-lived process, or by `drain()` (the cron
   * route) on a serverless host, resuming across calls. One run at a time across all processes.
   */
  reconcile?: ReconcileScheduleOptions;
  /** How long the handlers of one event may run before it fails and is retried. Default 30 000. */
  handlerTimeoutMs?: number;
  logger?: Logger;
  onProcessed?: (info: ProcessedInfo) => void;
  onRejected?: (code: string) => void;
  onStored?: (type: string) => void;
  /** Called when a worker batch fails as a whole and is retried (metrics). */
  onBatchFailed?: () => void;
  /** Called for a delivery that reuses a stored svix-id with a different body; the first is kept (metrics). */
  onConflictingDuplicate?: () => void;
}

export interface ClerkSync<AppDatabase = {}> {
  readonly database: Database;
  readonly handlers: EventHandlers<AppDatabase>;
  /** Runs `handler` for events of `type` (or of any of the types given), `event.data` narrowed. Register before start(). */
  on<T extends ClerkEventType>(type: T | readonly T[], handler: EventHandler<EventOfType<T>, AppDatabase>): this;
  /** Runs `handler` for every event of the catalog. Register before start(). */
  onAny(handler: EventHandler<ClerkWebhookEvent, AppDatabase>): this;
  readonly receiver: WebhookReceiver;
  readonly worker: Worker | null;
  /**
   * Fetch API webhook endpoint. Answers 200 only once the event is committed. `context.waitUntil`:
   * the host's per-request waitUntil (Netlify's `context.waitUntil`), used on a serverless host.
   */
  handleRequest(request: Request, context?: DeliveryContext): Promise<Response>;
  /** Framework-free form of handleRequest, for adapters that already hold the raw body. */
  receive(input: IncomingWebhook, context?: DeliveryContext): Promise<ReceiverResponse>;
  /** Whether this instance runs as on a serverless host (see ClerkSyncOptions.serverless). */
  readonly serverless: boolean;
  /**
   * Processes the events that are due now, within `budgetMs` (default 8000), and says what it did:
   * the work of a scheduler's drain route (see drainHandler), or of a one-off script.
   */
  drain(options?: { budgetMs?: number }): Promise<DrainSummary>;
  /** Applies migrations and starts the worker. */
  start(): Promise<void>;
  /** Stops the worker after its in-flight events and closes the database (if it opened it). */
  stop(): Promise<void>;
}

/** Serverless PostgreSQL pool: connections per instance, and how long one may sit idle (ms). */
const SERVERLESS_POOL_SIZE = 2;
const SERVERLESS_IDLE_TIMEOUT_MS = 5_000;

export function resolveSecret(secret: string | readonly string[] | undefined): string | readonly string[] {
  const value = secret ?? process.env[SECRET_ENV];
  if (value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0)) {
    throw new ConfigError(
      `no webhook signing secret: set ${SECRET_ENV} (or pass --secret). ` +
        'Find it in the Clerk Dashboard → Webhooks → your endpoint → Signing Secret (it starts with whsec_).',
    );
  }
  return value;
}

export async function createClerkSync<AppDatabase = {}>(options: ClerkSyncOptions<AppDatabase> = {}): Promise<ClerkSync<AppDatabase>> {
  const secret = resolveSecret(options.secret);
  let shouldSync;
  let handlers: EventHandlers<AppDatabase>;
  try {
    shouldSync = syncFilter(options.sync);
    handlers = options.handlers instanceof EventHandlers ? options.handlers : new EventHandlers<AppDatabase>(options.handlers);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const handlerTimeoutMs = options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
  if (options.retentionMs !== undefined && !(options.retentionMs >= MIN_RETENTION_MS)) {
    throw new ConfigError(`retention must be at least 2 days (Svix retries a delivery for about 28 hours, and a purged event that comes again is applied again), got ${options.retentionMs} ms`);
  }
  if (options.reconcile) {
    try {
      scheduleKey(options.reconcile);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  if (!(handlerTimeoutMs > 0)) throw new ConfigError(`handlerTimeoutMs must be a positive number of milliseconds, got ${handlerTimeoutMs}`);
  let verifier;
  try {
    verifier = createVerifier(secret, options.verify);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const logger = options.logger ?? silentLogger;
  const unprefixed = unprefixedSecretWarning(secret);
  if (unprefixed) logger.warn(unprefixed);
  let runtime;
  try {
    runtime = options.serverless === undefined ? detectServerless() : { serverless: options.serverless !== false, reason: 'the serverless option' };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const ownsDatabase = typeof options.database !== 'object';
  const database =
    typeof options.database === 'object'
      ? options.database
      : await openDatabase(options.database, {
          durability: options.durability,
          logger,
          // Many instances, each mostly idle: a small pool that lets go of its connections soon.
          ...(runtime.serverless ? { poolSize: SERVERLESS_POOL_SIZE, idleTimeoutMs: SERVERLESS_IDLE_TIMEOUT_MS } : {}),
        });

  const processor = handlingProcessor({ base: options.process ?? syncTables, shouldSync, handlers, timeoutMs: handlerTimeoutMs, logger });
  const worker = options.worker === false ? null : new Worker({ database, process: processor, logger, onProcessed: options.onProcessed, onBatchFailed: options.onBatchFailed, ...options.worker });
  const serverless = runtime.serverless && worker ? new ServerlessProcessing(worker, { ...(typeof options.serverless === 'object' ? options.serverless : {}), waitUntil: options.waitUntil }, logger) : null;
  const inbox = new InboxWriter(database, () => worker?.notify());
  const receiver = new WebhookReceiver({
    verifier,
    inbox,
    maxBodyBytes: options.maxBodyBytes,
    maxInFlightBodyBytes: options.maxInFlightBodyBytes,
    logger,
    onRejected: options.onRejected,
    onStored: options.onStored,
    onConflictingDuplicate: options.onConflictingDuplicate,
    afterStored: serverless ? (context) => serverless.afterStored(context.waitUntil) : undefined,
  });

  let retention: { stop(): Promise<void> } | null = null;
  let reconcileSchedule: { stop(): Promise<void> } | null = null;
  let lastDrainPurgeAt = -Infinity;
  const sync: ClerkSync<AppDatabase> = {
    database,
    handlers,
    on(type, handler) {
      handlers.on(type, handler);
      return this;
    },
    onAny(handler) {
      handlers.onAny(handler);
      return this;
    },
    receiver,
    worker,
    handleRequest: (request, context) => receiver.handle(request, context),
    receive: (input, context) => receiver.receive(input, context),
    serverless: runtime.serverless,
    async drain({ budgetMs = DEFAULT_DRAIN_BUDGET_MS } = {}) {
      if (!worker) throw new ConfigError('this instance was created with `worker: false`, so it processes nothing; drain where events are processed');
      const summary = await worker.processDue({ budgetMs });
      logger.info('processed due events', { ...summary });
      // Without a long-lived process, retention rides on the scheduler's drain, at most hourly.
      if (options.retentionMs !== undefined && Date.now() - lastDrainPurgeAt >= RETENTION_EVERY_MS) {
        lastDrainPurgeAt = Date.now();
        summary.purged = await purgeExpired(database, options.retentionMs, logger);
      }
      // A due reconcile gets what is left of the budget; it resumes on the next call.
      const left = budgetMs - summary.duration_ms;
      if (options.reconcile && left >= 1000) {
        const result = await reconcileIfDue(database, options.reconcile, logger, { trigger: 'drain', signal: AbortSignal.timeout(left) });
        if (result) summary.reconcile = { run: result.runId, status: result.status };
      }
      return summary;
    },
    async start() {
      handlers.seal('register handlers before start(): events processed since would have missed this one. Pass them as the `handlers` option, or call on() right after createClerkSync()');
      await migrateToLatest(database);
      if (serverless) logger.info(`serverless: events are processed ${serverless.mode}, and by the drain route`, { because: runtime.reason });
      else await worker?.start();
      if (options.retentionMs !== undefined && !serverless) retention = startRetentionJob(database, options.retentionMs, logger);
      if (options.reconcile && !serverless) reconcileSchedule = startReconcileSchedule(database, options.reconcile, logger);
    },
    async stop() {
      await reconcileSchedule?.stop();
      await retention?.stop();
      await worker?.stop();
      if (ownsDatabase) await database.close();
    },
  };
  return sync;
}
