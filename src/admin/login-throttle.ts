/**
 * Limits failed dashboard logins, per client address and in all, over the last minute: past
 * either limit, logins are refused without looking at the token until enough failures have aged
 * out. The admin token is long and random, so this is less about guessing it than about keeping
 * a guesser from costing the server work and the audit log rows. In memory, per process.
 */
export class LoginThrottle {
  readonly #perAddress: number;
  readonly #global: number;
  readonly #windowMs: number;
  /** When the failures of the last window happened, all addresses together. */
  #recent: number[] = [];
  /** Addresses with failures in the last window: when, how many in this run, and the audit row counting them. */
  readonly #addresses = new Map<string, { times: number[]; count: number; auditId: number | null }>();

  constructor({ perAddress = 5, global = 30, windowMs = 60_000 } = {}) {
    this.#perAddress = perAddress;
    this.#global = global;
    this.#windowMs = windowMs;
  }

  /** Milliseconds until `address` may try again, or 0 when it may try now. */
  retryAfterMs(address: string, now = Date.now()): number {
    this.#forget(now);
    const mine = this.#addresses.get(address)?.times ?? [];
    let until = 0;
    if (this.#recent.length >= this.#global) until = this.#recent[this.#recent.length - this.#global]! + this.#windowMs;
    if (mine.length >= this.#perAddress) until = Math.max(until, mine[mine.length - this.#perAddress]! + this.#windowMs);
    return Math.max(0, until - now);
  }

  /**
   * Counts a failure. The entry lets the caller keep one audit row per address while its failures
   * follow each other (count: failures since its last quiet minute).
   */
  fail(address: string, now = Date.now()): { count: number; auditId: number | null } {
    this.#forget(now);
    this.#recent.push(now);
    let entry = this.#addresses.get(address);
    if (!entry) this.#addresses.set(address, (entry = { times: [], count: 0, auditId: null }));
    entry.times.push(now);
    entry.count++;
    return entry;
  }

  /** Drops failures older than the window, and addresses with none left (the map stays small). */
  #forget(now: number): void {
    const since = now - this.#windowMs;
    const fresh = (times: number[]) => {
      let i = 0;
      while (i < times.length && times[i]! <= since) i++;
      return i === 0 ? times : times.slice(i);
    };
    this.#recent = fresh(this.#recent);
    for (const [address, entry] of this.#addresses) {
      entry.times = fresh(entry.times);
      if (entry.times.length === 0) this.#addresses.delete(address);
    }
  }
}
