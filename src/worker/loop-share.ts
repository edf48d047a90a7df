import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo } from 'node:timers/promises';

/** The yield after a batch took this long: requests were queued behind it (a few log writes are not). */
const QUEUED_MS = 1;
/** The event loop was this busy while the worker stood back: its other work needs the loop. */
const BUSY = 0.6;
/** ... and this idle: it did not; step back less. */
const IDLE = 0.3;
/** Pauses, as a multiple of the batch's own time: from 1/4 up to 64 (the worker keeps 1/65). */
const MIN_FACTOR = 0.25;
const MAX_FACTOR = 64;
/** The first pause when requests were queued, and its growth while the loop stays busy. */
const FIRST_FACTOR = 1;
const GROWTH = 4;
/** No single pause is longer, so processing resumes within a few batches once a burst ends. */
const MAX_PAUSE_MS = 100;

/**
 * How long the worker stands back after a batch, when its batches run on the event loop
 * (SQLite's driver is synchronous), so that answering webhooks always comes first.
 *
 * Svix waits for our answer and retries what it does not get in time; processing can wait, since
 * every answered event is already committed to the inbox. So while requests queue up behind the
 * batches, the worker pauses after each one, for a multiple of the batch's time, and watches the
 * event loop meanwhile: if the loop stays busy (a burst that saturates it), the pauses grow
 * fourfold, down to 1/65 of the loop for processing; once the loop has idle time again, they
 * halve and then stop. At a steady load the receiver can carry, processing keeps nearly all the idle time.
 */
export class LoopShare {
  #factor = 0;

  /** Call after a batch that took `batchMs`; `sleep` waits without blocking (and may end early on stop). */
  async afterBatch(batchMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    if (this.#factor === 0) {
      const t0 = performance.now();
      await yieldToIo();
      if (performance.now() - t0 > QUEUED_MS) this.#factor = FIRST_FACTOR;
      return;
    }
    const before = performance.eventLoopUtilization();
    await sleep(Math.min(Math.max(1, batchMs * this.#factor), MAX_PAUSE_MS));
    const busy = performance.eventLoopUtilization(before).utilization;
    if (busy > BUSY) this.#factor = Math.min(this.#factor * GROWTH, MAX_FACTOR);
    else if (busy < IDLE) this.#factor = this.#factor / 2 < MIN_FACTOR ? 0 : this.#factor / 2;
  }

  /** The current pause factor (0: not standing back), for tests. */
  get factor(): number {
    return this.#factor;
  }
}
