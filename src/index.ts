/**
 * clerk-sync's public API. Subpaths: `clerk-sync/verify`, `clerk-sync/events`, `clerk-sync/fixtures`
 * (realistic events of every type: eventFixture; also exported here, as before, at the cost of
 * loading them with the root), and the framework adapters `clerk-sync/next`, `clerk-sync/express`,
 * `clerk-sync/fastify`, `clerk-sync/hono`, `clerk-sync/node`, `clerk-sync/lambda`.
 */
export { createClerkSync, ConfigError, SECRET_ENV, type ClerkSync, type ClerkSyncOptions } from './clerk-sync.js';
export {
  EventHandlers,
  HandlerTimeoutError,
  DEFAULT_HANDLER_TIMEOUT_MS,
  type EventHandler,
  type EventOfType,
  type EventTypePattern,
  type HandlerContext,
  type HandlerMap,
  type SyncOption,
} from './handlers/index.js';
export { WebhookReceiver, DEFAULT_MAX_BODY_BYTES, type IncomingWebhook } from './receiver/receiver.js';
export { createHttpServer, DEFAULT_WEBHOOK_PATH } from './server.js';
export { Worker, PermanentError, type DrainSummary, type EventProcessor, type ProcessedInfo, type WorkerOptions } from './worker/worker.js';
export { drainHandler, CRON_SECRET_ENV, type DrainHandlerOptions } from './serverless/drain-handler.js';
export { detectServerless, SERVERLESS_ENV } from './serverless/runtime.js';
export type { ServerlessOptions, WaitUntil } from './serverless/processing.js';
export { choosePoolMode, POOL_MODE_ENV, DIRECT_URL_ENV, type PgPoolMode } from './store/pool-mode.js';
export { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from './worker/retry-schedule.js';
export { openDatabase, DEFAULT_DATABASE, type Database, type OpenDatabaseOptions } from './store/database.js';
export { migrateToLatest, pendingMigrations } from './store/migrate.js';
export type * from './store/schema.js';
export { syncTables } from './sync/sync-tables.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export * from './verify/index.js';
export * from './events/index.js';
export { createAdminHandler, type AdminHandler, type AdminHandlerOptions } from './admin/handler.js';
export { nodeAdminHandler } from './admin/node.js';
export { AdminClient, AdminClientError, type ReplayJob } from './admin/client.js';
export { ClerkSyncMetrics } from './metrics/metrics.js';
export { listEvents, getEvent, type EventFilter } from './inbox/browse.js';
export { replayEvents } from './inbox/replay.js';
export { eventStats } from './inbox/stats.js';
