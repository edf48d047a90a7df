import { InboxWriter } from './inbox/writer.js';
import { silentLogger, type Logger } from './log.js';
import { migrateToLatest } from './store/migrate.js';
import { openDatabase, type Database } from './store/database.js';
import type { SqliteDurability } from './store/sqlite.js';
import { syncTables } from './sync/processor.js';
import { WebhookReceiver, type IncomingWebhook } from './http/receiver.js';
import type { ReceiverResponse } from './http/response.js';
import { createVerifier, type VerifyOptions } from './verify/index.js';
import { Worker, type EventProcessor, type ProcessedInfo } from './worker/worker.js';

export const SECRET_ENV = 'CLERK_WEBHOOK_SIGNING_SECRET';

/** Wrong or missing configuration; the message says how to fix it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ClerkSyncOptions {
  /** Signing secret(s), `whsec_...`; several (rotation) separated by spaces or commas. Default: $CLERK_WEBHOOK_SIGNING_SECRET. */
  secret?: string | readonly string[];
  /** A database URL / SQLite path, or an opened Database. Default: ./clerk-sync.db */
  database?: string | Database;
  durability?: SqliteDurability;
  maxBodyBytes?: number;
  verify?: VerifyOptions;
  /** Worker settings, or false for a receiver that only stores (another process works the inbox). */
  worker?: false | { concurrency?: number; batchSize?: number; retrySchedule?: readonly number[]; pollIntervalMs?: number };
  /** What processing does; default: sync the clerk_* tables. */
  process?: EventProcessor;
  logger?: Logger;
  onProcessed?: (info: ProcessedInfo) => void;
  onRejected?: (code: string) => void;
  onStored?: (type: string) => void;
}

export interface ClerkSync {
  readonly database: Database;
  readonly receiver: WebhookReceiver;
  readonly worker: Worker | null;
  /** Fetch API webhook endpoint. Answers 200 only once the event is committed. */
  handleRequest(request: Request): Promise<Response>;
  /** Framework-free form of handleRequest, for adapters that already hold the raw body. */
  receive(input: IncomingWebhook): Promise<ReceiverResponse>;
  /** Applies migrations and starts the worker. */
  start(): Promise<void>;
  /** Stops the worker after its in-flight events and closes the database (if it opened it). */
  stop(): Promise<void>;
}

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

export async function createClerkSync(options: ClerkSyncOptions = {}): Promise<ClerkSync> {
  const secret = resolveSecret(options.secret);
  let verifier;
  try {
    verifier = createVerifier(secret, options.verify);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const ownsDatabase = typeof options.database !== 'object';
  const database = typeof options.database === 'object' ? options.database : await openDatabase(options.database, { durability: options.durability });
  const logger = options.logger ?? silentLogger;

  const worker =
    options.worker === false
      ? null
      : new Worker({ database, process: options.process ?? syncTables, logger, onProcessed: options.onProcessed, ...options.worker });
  const inbox = new InboxWriter(database, () => worker?.notify());
  const receiver = new WebhookReceiver({ verifier, inbox, maxBodyBytes: options.maxBodyBytes, logger, onRejected: options.onRejected, onStored: options.onStored });

  return {
    database,
    receiver,
    worker,
    handleRequest: (request) => receiver.handle(request),
    receive: (input) => receiver.receive(input),
    async start() {
      await migrateToLatest(database.db, database.dialect);
      await worker?.start();
    },
    async stop() {
      await worker?.stop();
      if (ownsDatabase) await database.close();
    },
  };
}
