/** clerk-sync's public API. Subpaths: `clerk-sync/verify`, `clerk-sync/events`. */
export { createClerkSync, ConfigError, SECRET_ENV, type ClerkSync, type ClerkSyncOptions } from './clerk-sync.js';
export { WebhookReceiver, DEFAULT_MAX_BODY_BYTES, type IncomingWebhook } from './http/receiver.js';
export { createHttpServer, DEFAULT_WEBHOOK_PATH } from './http/server.js';
export { Worker, PermanentError, type EventProcessor, type ProcessedInfo, type WorkerOptions } from './worker/worker.js';
export { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from './worker/retry-schedule.js';
export { openDatabase, DEFAULT_DATABASE, type Database, type OpenDatabaseOptions } from './store/database.js';
export { migrateToLatest, pendingMigrations } from './store/migrate.js';
export type * from './store/schema.js';
export { syncTables } from './sync/processor.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export * from './verify/index.js';
export * from './events/index.js';
