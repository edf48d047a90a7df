import { Command, Option } from 'commander';
import { ADMIN_TOKEN_ENV, checkAdminToken } from '../../admin/auth.js';
import { ConfigError, createClerkSync, resolveSecret } from '../../clerk-sync.js';
import { createHttpServer, DEFAULT_WEBHOOK_PATH, listen } from '../../server.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../receiver/receiver.js';
import { createLogger, type LogLevel } from '../../log.js';
import { ClerkSyncMetrics, METRICS_TOKEN_ENV } from '../../metrics/metrics.js';
import { openDatabase } from '../../store/database.js';
import { storeProblem } from '../../store/errors.js';
import { parseRetrySchedule } from '../../worker/retry-schedule.js';
import { stopOnSignal } from '../shutdown.js';
import { batchSizeOption, concurrencyOption, dbOption, directUrlOption, logLevelOption, pgPoolModeOption, pgSchemaOption, pgSettings, port, positiveInt, reconcileEveryOption, clerkApiUrlOption, retentionOption, retryScheduleOption, secretOption, waitForDatabase } from '../options.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('receive Clerk webhooks, store them durably, and sync them into your database')
    .addOption(new Option('-p, --port <port>', 'port to listen on').env('PORT').default(8080).argParser(port))
    .addOption(new Option('--host <host>', 'address to listen on').env('HOST').default('0.0.0.0'))
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .addOption(secretOption())
    .addOption(new Option('--path <path>', 'webhook endpoint path').default(DEFAULT_WEBHOOK_PATH))
    .addOption(new Option('--max-body-bytes <n>', 'largest accepted body').env('CLERK_SYNC_MAX_BODY_BYTES').default(DEFAULT_MAX_BODY_BYTES).argParser(positiveInt('--max-body-bytes')))
    .addOption(new Option('--durability <mode>', 'SQLite: normal survives process crashes, full also power loss').choices(['normal', 'full']).env('CLERK_SYNC_DURABILITY').default('normal'))
    .addOption(retryScheduleOption())
    .addOption(retentionOption())
    .addOption(reconcileEveryOption())
    .addOption(clerkApiUrlOption())
    .addOption(concurrencyOption(1))
    .addOption(batchSizeOption())
    .addOption(new Option('--no-worker', 'only receive and store; run `clerk-sync worker` elsewhere to process'))
    .addOption(logLevelOption())
    .addHelpText('after', `
Examples:
  $ clerk-sync serve --secret whsec_...                        embedded SQLite, ./clerk-sync.db
  $ DATABASE_URL=postgres://app@db/app clerk-sync serve         PostgreSQL
  $ clerk-sync serve --no-worker --port 3001                    receive only; run \`clerk-sync worker\` elsewhere
  $ CLERK_SYNC_ADMIN_TOKEN=$(openssl rand -hex 32) clerk-sync serve   with the dashboard at /dashboard
  $ CLERK_SECRET_KEY=sk_live_... clerk-sync serve --reconcile-every 24h  converge with Clerk daily, deletions included

Environment: CLERK_WEBHOOK_SIGNING_SECRET, DATABASE_URL, CLERK_SYNC_ADMIN_TOKEN (dashboard and
admin API), CLERK_SYNC_METRICS_TOKEN (protects /metrics), CLERK_SECRET_KEY (--reconcile-every). Endpoints: POST /api/webhooks, GET
/healthz, /readyz, /metrics, /dashboard.`)
    .action(async (opts) => {
      const logger = createLogger(opts.logLevel as LogLevel);
      const retrySchedule = parseRetrySchedule(opts.retrySchedule);
      resolveSecret(opts.secret);
      const adminToken = tokenFromEnv(ADMIN_TOKEN_ENV);
      const metricsToken = tokenFromEnv(METRICS_TOKEN_ENV);
      const metrics = new ClerkSyncMetrics();
      const database = await openDatabase(opts.db, { ...pgSettings(opts), logger, durability: opts.durability, poolSize: opts.concurrency + 4 });
      const sync = await createClerkSync({
        secret: opts.secret,
        database,
        maxBodyBytes: opts.maxBodyBytes,
        logger,
        ...metrics.hooks,
        worker: opts.worker === false ? false : { retrySchedule, concurrency: opts.concurrency, batchSize: opts.batchSize },
        retentionMs: opts.retention,
        ...(opts.reconcileEvery !== undefined ? { reconcile: { everyMs: opts.reconcileEvery, apiUrl: opts.clerkApiUrl } } : {}),
      });
      // Listen at once, even before the database answers: a liveness probe sees /healthz 200, a
      // readiness probe and Svix get 503 with the reason until start-up (migrations) is done.
      let starting: string | null = 'connecting to the database';
      const server = createHttpServer(sync, { path: opts.path, adminToken, metricsToken, metrics, logger, starting: () => starting });
      const address = await listen(server, opts.port, opts.host).catch((error) => {
        throw listenProblem(error, opts.host, opts.port) ?? error;
      });
      stopOnSignal(logger, 'no new requests, finishing in-flight work', async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await sync.stop();
        await database.close();
      });
      await waitForDatabase(() => sync.start(), logger, (error) => (starting = `waiting for the database: ${storeProblem(error)}`));
      starting = null;
      const origin = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info('clerk-sync is listening', {
        url: `${origin}${opts.path}`,
        port: address.port,
        database: sync.database.description,
        ...(sync.database.poolMode ? { pg_pool_mode: sync.database.poolMode } : {}),
        worker: sync.worker !== null,
        dashboard: adminToken ? `${origin}/dashboard` : `off (set ${ADMIN_TOKEN_ENV} to turn it on)`,
        metrics: metricsToken ? 'bearer token' : 'public',
        ...(opts.reconcileEvery !== undefined ? { reconcile_every_ms: opts.reconcileEvery } : {}),
      });
    });
}

/** A port that cannot be had is a configuration error (exit 2) with what to do, not a stack. */
function listenProblem(error: unknown, host: string, port: number): ConfigError | null {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') return new ConfigError(`port ${port} on ${host} is already in use (another clerk-sync serve, or another server): stop it, or choose another port with --port (or PORT); --port 0 picks a free one`);
  if (code === 'EACCES') return new ConfigError(`not allowed to listen on port ${port}: ports below 1024 need privileges; use --port 8080 behind your reverse proxy`);
  if (code === 'EADDRNOTAVAIL') return new ConfigError(`${host} is not an address of this machine: use --host 0.0.0.0 (all), 127.0.0.1 (this machine only) or one of its addresses`);
  return null;
}

/** A token from the environment (never a flag: flags show in `ps`), checked for length up front. */
function tokenFromEnv(name: string): string | null {
  const value = process.env[name];
  if (!value) return null;
  try {
    return checkAdminToken(value, name);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}
