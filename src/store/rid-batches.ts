// Walks resources batch by batch in the order of their internal key (rid), one transaction per batch: the
// shape of the index backfills an upgrade needs (store/index-existing-ucum.ts, store/index-patient-keys.ts),
// which can therefore be stopped at any point and run again.
import type { Database, Queryable } from '../platform/db/database.js';

export interface RidBatchProgress {
  /** Resources handled so far. */
  scanned: number;
  /** What the batches' work returned, summed (rows added or changed). */
  changed: number;
}

/**
 * `next(after)` gives the rids of the next batch, the smallest rids greater than `after` (as text, in numeric order); `work` runs in that batch's transaction and returns how many rows it added or changed.
 */
export async function walkRidBatches(
  db: Database,
  next: (after: string) => Promise<string[]>,
  work: (tx: Queryable, rids: string[]) => Promise<number>,
  onBatch: (p: RidBatchProgress) => void = () => {},
): Promise<RidBatchProgress> {
  const progress: RidBatchProgress = { scanned: 0, changed: 0 };
  let after = '0';
  for (;;) {
    const rids = await next(after);
    if (rids.length === 0) return progress;
    // the greatest as a number, whatever order the batch came in (a text order would skip rids)
    after = rids.reduce((a, b) => (BigInt(b) > BigInt(a) ? b : a));
    progress.changed += await db.transaction((tx) => work(tx, rids));
    progress.scanned += rids.length;
    onBatch({ ...progress });
  }
}
