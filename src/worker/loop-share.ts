import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo } from 'node:timers/promises';

/** The yield after a batch took this long: requests were queued behind it (a few log writes are not). */
const QUEUED_MS = 1;
/**
 * The share of the event loop the receiver may fill during the worker's pauses. Left below 1 so
 * it catches up, within each pause, on what queued during the batch, and has room for jitter.
 */
const HEADROOM = 0.75;
/** Weight of the latest measurement in the smoothed load: one odd pause does not swing the pauses. */
const SMOOTHING = 0.5;
/** Pauses, as a multiple of the batch's own time: none below 1/4, at most 64 (and MAX_PAUSE_MS). */
const MIN_FACTOR = 0.25;
const MAX_FACTOR = 64;
/**
 * No single pause is longer, so processing resumes within about a second once a burst ends.
 * Under a burst that saturates the receiver, a batch per second leaves it about 1% of the loop:
 * at 100 ms, the worker's batches (a full claim, the budget, the commit, on a loop that is busy)
 * still cost 10-15% of what `serve` can answer at its maximum (bench/ingest-cpu.ts).
 */
const MAX_PAUSE_MS = 1000;

/**
 * How long the worker stands back after a batch, when its batches run on the event loop
 * (SQLite's driver is synchronous), so that answering webhooks always comes first.
 *
 * Svix waits for our answer and retries what it does not get in time; processing can wait, since
 * every answered event is already committed to the inbox. So once requests queue up behind a
 * batch, the worker pauses after each one and measures, during the pause, how much of the loop
 * the rest of the process uses: that is the receiver's load, including the requests that queued
 * during the batch. The next pause is as long as the receiver needs to fill at most HEADROOM of
 * it: a steady load the receiver carries easily costs short pauses, and the worker keeps up; a
 * burst that saturates the receiver (load above HEADROOM) leaves the worker one batch per
 * MAX_PAUSE_MS; once the load falls, the pauses shrink and stop.
 */
export class LoopShare {
  #factor = 0;
  /** The receiver's smoothed share of the event loop, measured during pauses. */
  #load = 0;

  /** Call after a batch that took `batchMs`; `sleep` waits without blocking (and may end early on stop). */
  async afterBatch(batchMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    if (this.#factor === 0) {
      const t0 = performance.now();
      await yieldToIo();
      if (performance.now() - t0 > QUEUED_MS) {
        this.#factor = 1;
        this.#load = 0;
      }
      return;
    }
    const before = performance.eventLoopUtilization();
    await sleep(Math.min(Math.max(1, batchMs * this.#factor), MAX_PAUSE_MS));
    const { active, idle } = performance.eventLoopUtilization(before);
    // The receiver's work during the pause is what arrived over the whole cycle, batch included.
    const load = active / (batchMs + active + idle);
    this.#load = this.#load === 0 ? load : this.#load * (1 - SMOOTHING) + load * SMOOTHING;
    this.#factor = pauseFactor(this.#load);
  }

  /** The current pause factor (0: not standing back), for tests. */
  get factor(): number {
    return this.#factor;
  }
}

/**
 * Pause P after a batch B, so that the receiver, needing `load` of all the time, fills at most
 * HEADROOM of the pause: load × (B + P) ≤ HEADROOM × P, that is P / B ≥ load / (HEADROOM - load).
 */
function pauseFactor(load: number): number {
  if (load >= HEADROOM) return MAX_FACTOR;
  const factor = load / (HEADROOM - load);
  return factor < MIN_FACTOR ? 0 : Math.min(factor, MAX_FACTOR);
}
