/**
 * What a reconcile found and did for one resource; stored per run (clerk_sync_reconcile_runs.resources,
 * a JSON object keyed by resource), printed by the CLI, shown by the dashboard and exported as
 * `clerk_sync_reconcile_drift{resource,kind}`.
 */
export interface ReconcileCounts {
  /** Objects Clerk listed. */
  listed: number;
  /** Listed, and stored with the same version (`updated_at`). */
  in_sync: number;
  /** Listed with a newer version than the stored row: applied (or, in a dry run, would be). */
  newer_in_clerk: number;
  /** Listed, and not stored at all: applied (or would be). */
  missing_locally: number;
  /** Listed, but the stored row is newer, or deleted: left as it is (a webhook was faster). */
  local_newer: number;
  /** Stored, not deleted, and not listed by Clerk any more (changed before the listing started). */
  gone_from_clerk: number;
  /** Of those, marked deleted (tombstone, erasure, cascades) by this run. */
  deleted: number;
  /** Objects the sync refused (no usable id, ...); see the run's error. */
  failed: number;
  /** Times the listing started over because objects deleted in Clerk meanwhile shifted it (counts include every pass). */
  relisted: number;
  /** The listing reached its end without an error. */
  complete: boolean;
  /** Deletions were refused by the safety cap (see `note`). */
  capped: boolean;
  /** Why nothing was deleted, when something should have been; null otherwise. */
  note: string | null;
}

/** The drift kinds exported as metrics: everything that differed from Clerk when the run looked. */
export const DRIFT_KINDS = ['newer_in_clerk', 'missing_locally', 'gone_from_clerk', 'local_newer'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export function emptyCounts(): ReconcileCounts {
  return { listed: 0, in_sync: 0, newer_in_clerk: 0, missing_locally: 0, local_newer: 0, gone_from_clerk: 0, deleted: 0, failed: 0, relisted: 0, complete: false, capped: false, note: null };
}

/** One count summed over the resources of a run. */
export function total(resources: ReadonlyArray<{ counts: ReconcileCounts }>, kind: Exclude<keyof ReconcileCounts, 'complete' | 'capped' | 'note'>): number {
  return resources.reduce((n, o) => n + o.counts[kind], 0);
}
