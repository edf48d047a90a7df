import type { IncomingMessage } from 'node:http';
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

/** The client went away before its body was complete: nothing to store, nobody to answer. */
export class BodyAbortedError extends Error {
  constructor() {
    super('the client closed the connection before the body was complete');
    this.name = 'BodyAbortedError';
  }
}

/**
 * readBodyLimited for node:http: reads a request body, refusing past `limit` bytes (or what
 * `budget` can still lend) without buffering the excess. On a refusal the stream is left paused,
 * unread, for the caller to answer and close.
 */
export function readNodeBody(req: IncomingMessage, limit: number, budget?: BodyBudget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      budget?.give(size);
      req.removeListener('data', onData);
      if (error) {
        req.pause();
        reject(error);
      } else {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) return settle(new BodyTooLargeError(limit));
      if (budget && !budget.take(chunk.length)) return settle(new BodyBudgetExceededError());
      size += chunk.length;
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => settle(null));
    // 'close' comes after every request, read or not: build the error (a stack trace, a few
    // percent of the CPU per request at full load) only when the body really was cut short.
    const aborted = () => settled || settle(new BodyAbortedError());
    req.on('error', aborted);
    req.on('close', aborted);
  });
}
