import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a WAL-mode SQLite database from a background thread with its own connection.
 *
 * SQLite otherwise checkpoints inside the commit that fills the WAL: that commit copies the WAL
 * into the database file and fsyncs it on the event loop, which then answers no request. A
 * PASSIVE checkpoint never blocks writers, so here it runs beside them, on the other core:
 * `serve` took about 8% more requests/s at saturation (18,800 vs 17,400, three runs each). Every
 * 100 ms, so each checkpoint stays short: at 500 ms the p99 at a steady 1,000 req/s rose from
 * ~9 to ~15 ms. The committing connection keeps a far larger threshold as a backstop, should
 * this thread ever fall behind.
 *
 * Under a steady load PASSIVE checkpoints alone never let the WAL start over: SQLite rewinds it
 * only when a write begins with every frame copied, and new commits land during each pass. It
 * then grew to the backstop, where a commit on the event loop checkpointed (two fsyncs) and the
 * next one truncated the file to journal_size_limit: 8-12 ms stalls, about one a second at 1,000
 * req/s with the worker, which set the p99 (measured with perf, docs/ingest-performance.md). So once the
 * WAL holds RESTART_FRAMES, right after a PASSIVE pass, this thread runs a RESTART checkpoint:
 * it takes the write lock for the few frames left and the fsyncs (a few ms), and the next
 * write rewinds the WAL in place. While it runs, it raises a flag the event loop's write
 * transactions wait on asynchronously (writeTurn), instead of in SQLite's busy handler, which
 * sleeps with the event loop held. A read transaction left open (an app reading the file) keeps
 * a RESTART from finishing; then it is tried less and less often.
 */
export class SqliteCheckpointer {
  readonly #thread: Worker;
  /** [0]: 1 while the thread runs a RESTART checkpoint, holding or about to take the write lock. */
  readonly #restarting = new Int32Array(new SharedArrayBuffer(4));

  constructor(path: string, intervalMs = 100, restartFrames = RESTART_FRAMES) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#thread = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver, path, intervalMs, restartFrames, restarting: this.#restarting.buffer } });
    // A failed checkpoint thread only means commits checkpoint again (the backstop).
    this.#thread.on('error', () => {});
    this.#thread.unref();
  }

  /**
   * Null when a write transaction may begin now; else a promise that settles when the thread's
   * RESTART checkpoint is over (or after MAX_TURN_WAIT_MS, when SQLite's busy timeout takes over).
   */
  writeTurn(): Promise<unknown> | null {
    if (Atomics.load(this.#restarting, 0) === 0) return null;
    const wait = Atomics.waitAsync(this.#restarting, 0, 1, MAX_TURN_WAIT_MS);
    if (!wait.async) return null;
    // A pending waitAsync does not keep the process alive (nor does the unref'd thread): a timer does.
    const keepAlive = setTimeout(() => {}, MAX_TURN_WAIT_MS);
    return wait.value.finally(() => clearTimeout(keepAlive));
  }

  async stop(): Promise<void> {
    await this.#thread.terminate();
    // A thread stopped mid-checkpoint must not leave writers waiting.
    Atomics.store(this.#restarting, 0, 0);
    Atomics.notify(this.#restarting, 0);
  }
}

/** The committing connection's automatic checkpoint threshold (pages) while the thread runs. */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 20_000;
/**
 * WAL frames (pages) after which the thread rewinds the WAL: about 16 MB, well under
 * journal_size_limit (64 MB), so a commit never has to truncate the file either. Measured at
 * 1,000 req/s with the worker: 3-4 rewinds a second, each RESTART call 2.6-3.9 ms at the median
 * (waiting for the lock included); 12,288 frames gave the same p99 with longer calls.
 */
export const RESTART_FRAMES = 4096;
/** Longest a write transaction waits for the thread's RESTART asynchronously. */
const MAX_TURN_WAIT_MS = 200;

const THREAD_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// A RESTART waits this long for the write lock, then (holding it) for readers on older
// snapshots, an app's reads included, before it gives up until the next pass.
const db = new Database(workerData.path, { timeout: 5 });
const restarting = new Int32Array(workerData.restarting);
// After a RESTART that could not finish (a read transaction held on), skip this many passes, doubling
// up to 50 (5 s): a long read must not cost the writers a wait every pass.
let backoff = 0;
let skip = 0;
setInterval(() => {
  try {
    const [pass] = db.pragma('wal_checkpoint(PASSIVE)');
    if (pass.log < workerData.restartFrames) return;
    if (skip > 0) return void skip--;
    Atomics.store(restarting, 0, 1);
    try {
      const [restart] = db.pragma('wal_checkpoint(RESTART)');
      backoff = restart.busy ? Math.min(Math.max(backoff * 2, 1), 50) : 0;
      skip = backoff;
    } finally {
      Atomics.store(restarting, 0, 0);
      Atomics.notify(restarting, 0);
    }
  } catch {}
}, workerData.intervalMs);
`;
