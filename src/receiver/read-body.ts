import type { BodyBudget } from './body-budget.js';

/** The body was larger than the configured limit; nothing of it is kept. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than the ${limit}-byte limit`);
    this.name = 'BodyTooLargeError';
  }
}

/** Too many bodies are being received at once (see BodyBudget); nothing of this one is kept. */
export class BodyBudgetExceededError extends Error {
  constructor() {
    super('too many request bodies are being received at once');
    this.name = 'BodyBudgetExceededError';
  }
}

/**
 * Reads a Web stream body fully, refusing past `limit` bytes without buffering the excess, and
 * holding its bytes in `budget` while it reads (given back when it returns or throws).
 */
export async function readBodyLimited(body: ReadableStream<Uint8Array> | null, limit: number, budget?: BodyBudget): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(limit);
      }
      if (budget && !budget.take(value.byteLength)) {
        size -= value.byteLength;
        await reader.cancel().catch(() => {});
        throw new BodyBudgetExceededError();
      }
      chunks.push(value);
    }
  } finally {
    budget?.give(size);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
