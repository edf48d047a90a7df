/** A handler ran longer than `handlerTimeoutMs`; the event is retried like after any other failure. */
export class HandlerTimeoutError extends Error {
  constructor(
    readonly type: string,
    readonly timeoutMs: number,
  ) {
    super(
      `the handlers for ${type} did not finish within ${timeoutMs} ms, so the event will be retried. ` +
        'Handlers run inside the worker transaction: keep them short, stop when ctx.signal aborts, or raise handlerTimeoutMs',
    );
    this.name = 'HandlerTimeoutError';
  }
}
