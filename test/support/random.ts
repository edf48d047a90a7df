import { randomInt } from 'node:crypto';

/**
 * The seed of a randomized test: CLERK_SYNC_SEED when set (to reproduce a failure), a fixed one in
 * CI, else a new one each run. Tests print it.
 */
export function faultSeed(): number {
  if (process.env.CLERK_SYNC_SEED) return Number(process.env.CLERK_SYNC_SEED);
  return process.env.CI ? 20_251_127 : randomInt(2 ** 31);
}

/** Deterministic randomness (mulberry32), so a seed replays the same faults and inputs. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), 1 | t);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** A Clerk-like id (`prefix_` + 27 base62 characters, one a digit). */
  id(prefix: string): string {
    const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    let s = String(this.int(10));
    while (s.length < 27) s += chars[this.int(62)];
    return `${prefix}_${s}`;
  }
}
