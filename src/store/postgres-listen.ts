import pg from 'pg';
import type { Logger } from '../log.js';

/**
 * Keeps a dedicated connection LISTENing on `channel` and calls `onNotify` for each
 * notification. Reconnects with backoff when the server goes away; the worker's slow poll
 * covers whatever is missed meanwhile.
 */
export function listen(url: string, channel: string, onNotify: () => void, logger: Logger): { close(): Promise<void> } {
  let client: pg.Client | null = null;
  let closed = false;
  let backoffMs = 0;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, keepAlive: true });
    c.on('notification', () => onNotify());
    c.on('error', () => {});
    c.on('end', () => {
      if (client === c) client = null;
      if (!closed) retry();
    });
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
      client = c;
      backoffMs = 0;
      // Anything committed while we were not listening.
      onNotify();
    } catch (error) {
      c.end().catch(() => {});
      logger.warn('cannot LISTEN for new events; polling until the database is back', { error: (error as Error).message });
    }
  };
  const retry = () => {
    clearTimeout(timer);
    backoffMs = Math.min(Math.max(backoffMs * 2, 250), 10_000);
    timer = setTimeout(() => void connect(), backoffMs);
    timer.unref();
  };
  void connect();

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => {});
    },
  };
}
