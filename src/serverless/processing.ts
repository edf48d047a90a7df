import type { Logger } from '../log.js';
import type { Worker } from '../worker/worker.js';

export interface ServerlessOptions {
  /** How long processing after one delivery may take (ms, default 5000); what is left waits for the next delivery or the drain route. */
  budgetMs?: number;
}

/**
 * Keeps a function running until a promise settles, after its answer is sent: `after` from
 * `next/server`, `waitUntil` from `@vercel/functions`, Netlify's `context.waitUntil`.
 */
export type WaitUntil = (promise: Promise<unknown>) => void;

export const DEFAULT_AFTER_RESPONSE_BUDGET_MS = 5_000;

/**
 * Processing where no worker loop runs between requests: after each stored delivery, the due
 * events are processed within a budget, after the answer (waitUntil) or before it (inline); a
 * scheduler's drain route (drain-handler.ts) covers retries coming due while no delivery comes.
 * Nothing here can turn a stored event into an error answer: failures are logged, and the events
 * stay in the inbox for the next chance.
 */
export class ServerlessProcessing {
  readonly #worker: Worker;
  readonly #waitUntil: WaitUntil | undefined;
  readonly #budgetMs: number;
  readonly #log: Logger;
  #running: Promise<void> | null = null;
  #again = false;
  #refusedWaitUntil = false;

  /** Without `waitUntil`, events are processed before the answer (inline), as on AWS Lambda, where nothing runs once a function has answered. */
  constructor(worker: Worker, options: ServerlessOptions & { waitUntil?: WaitUntil }, logger: Logger) {
    this.#worker = worker;
    this.#waitUntil = options.waitUntil;
    this.#budgetMs = options.budgetMs ?? DEFAULT_AFTER_RESPONSE_BUDGET_MS;
    this.#log = logger;
  }

  /** How events get processed, for the start-up log line. */
  get mode(): 'after the response' | 'inline, before the response' {
    return this.#waitUntil ? 'after the response' : 'inline, before the response';
  }

  /**
   * A delivery was stored (or was already): process what is due, after the answer through this
   * request's `waitUntil` or the instance's, else before the answer.
   */
  afterStored(waitUntil: WaitUntil | undefined = this.#waitUntil): Promise<void> | void {
    const work = this.#processDue();
    if (!waitUntil) return withinBudget(work, this.#budgetMs);
    try {
      waitUntil(work);
    } catch (error) {
      // next/server's after() in a Pages Router route, say: still process, before answering.
      if (!this.#refusedWaitUntil) this.#log.warn('waitUntil refused the work; processing before the answer instead (said once)', { error: (error as Error).message });
      this.#refusedWaitUntil = true;
      return withinBudget(work, this.#budgetMs);
    }
  }

  /**
   * One run at a time per process: a delivery stored while one runs asks it for another pass
   * rather than starting a second, so concurrent requests do not pile up transactions.
   */
  #processDue(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const deadline = performance.now() + this.#budgetMs;
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#worker.processDue({ budgetMs: Math.max(0, deadline - performance.now()) });
        } while (this.#again && performance.now() < deadline);
      } catch (error) {
        this.#log.warn('could not process events after storing them; the next delivery or the drain route will', { error: (error as Error).message });
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }
}

/** Waits for `work`, but no longer than `budgetMs`; the work goes on past it. */
function withinBudget(work: Promise<void>, budgetMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, budgetMs);
    timer.unref();
  });
  return Promise.race([work, budget]).finally(() => clearTimeout(timer));
}
