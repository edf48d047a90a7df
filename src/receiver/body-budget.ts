/**
 * Bytes of request bodies being received at once, across all requests: a cap, so that many slow
 * or stalled uploads cannot hold more memory than this. Each request takes what it reads and
 * gives it back when it is done.
 */
export class BodyBudget {
  #inFlight = 0;

  constructor(readonly maxBytes: number) {}

  /** Takes `bytes` if they fit under the cap; false (and nothing taken) if not. */
  take(bytes: number): boolean {
    if (this.#inFlight + bytes > this.maxBytes) return false;
    this.#inFlight += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
  }

  get inFlight(): number {
    return this.#inFlight;
  }
}

/** Default cap: 64 MiB, 64 bodies of the default 1 MiB limit. */
export const DEFAULT_MAX_IN_FLIGHT_BODY_BYTES = 64 * 1024 * 1024;
