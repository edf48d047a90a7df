import type { Logger } from '../log.js';

/**
 * On the first SIGTERM or SIGINT: log `what` is being finished, run `stop`, log and exit 0, so an
 * orchestrator's stop never cuts a batch or an answer in half.
 */
export function stopOnSignal(logger: Logger, what: string, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`shutting down: ${what}`, { signal });
    await stop();
    logger.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
