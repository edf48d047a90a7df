/**
 * Runs `job` in the background of a long-lived process: first `firstAfterMs` after start, then
 * every `everyMs`, never two at once. `stop()` aborts the signal the job gets and waits for a run
 * in progress to end. The timers do not keep the process alive.
 */
export function startPeriodic(job: (signal: AbortSignal) => Promise<unknown>, timing: { firstAfterMs: number; everyMs: number }): { stop(): Promise<void> } {
  const controller = new AbortController();
  let running: Promise<unknown> | null = null;
  const run = () => {
    running ??= job(controller.signal).finally(() => (running = null));
  };
  const first = setTimeout(run, timing.firstAfterMs);
  const every = setInterval(run, timing.everyMs);
  first.unref();
  every.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(every);
      controller.abort();
      await running;
    },
  };
}
