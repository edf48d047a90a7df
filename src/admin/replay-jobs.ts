import { randomUUID } from 'node:crypto';
import type { EventFilter } from '../inbox/browse.js';
import { replayEvents } from '../inbox/replay.js';
import type { Database } from '../store/database.js';
import type { ReplayJob } from './wire.js';

const KEEP_FINISHED = 50;

/**
 * Bulk replays run in the background of the process that accepted them, so the request returns
 * at once and clients poll the job for progress. Jobs are kept in memory (the last 50 finished
 * ones); the re-queued events themselves are in the database, so a restart loses only the report.
 */
export class ReplayJobs {
  readonly #jobs = new Map<string, ReplayJob>();

  constructor(
    readonly database: Database,
    readonly notify: () => void,
  ) {}

  start(filter: EventFilter, onFinished?: (job: ReplayJob) => void): ReplayJob {
    const job: ReplayJob = { id: `replay_${randomUUID().replace(/-/g, '').slice(0, 16)}`, state: 'running', filter, total: 0, requeued: 0, started_at: Date.now(), finished_at: null, error: null };
    this.#jobs.set(job.id, job);
    void replayEvents(this.database, filter, {
      notify: this.notify,
      onProgress: (p) => {
        job.total = p.total;
        job.requeued = p.requeued;
      },
    }).then(
      (p) => {
        Object.assign(job, { state: 'done', total: p.total, requeued: p.requeued, finished_at: Date.now() });
        this.#prune();
        onFinished?.(job);
      },
      (error: unknown) => {
        Object.assign(job, { state: 'failed', error: error instanceof Error ? error.message : String(error), finished_at: Date.now() });
        this.#prune();
        onFinished?.(job);
      },
    );
    return { ...job };
  }

  get(id: string): ReplayJob | null {
    const job = this.#jobs.get(id);
    return job ? { ...job } : null;
  }

  /** Resolves when every running job has finished (for shutdown and tests). */
  async settled(): Promise<void> {
    while ([...this.#jobs.values()].some((j) => j.state === 'running')) await new Promise((r) => setTimeout(r, 10));
  }

  #prune(): void {
    const finished = [...this.#jobs.values()].filter((j) => j.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.#jobs.delete(j.id);
  }
}
