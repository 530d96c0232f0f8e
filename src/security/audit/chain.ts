// The hash chain of the audit trail: each entry's hash covers its own fields and the hash of the entry
// before it, so altering, deleting or reordering any entry breaks every link after it. `verifyChain`
// walks the trail in order and reports the first broken link.
import { createHash } from 'node:crypto';

export interface ChainedFields {
  seq: string;
  recorded: string;
  username: string | null;
  action: string;
  outcome: string;
  patients: string[];
  content: string;
}

export const GENESIS = 'chartroom-audit-genesis';

export function entryHash(prev: string, e: ChainedFields): string {
  // Each field followed by a NUL, hashed in one call (the same bytes as one update per field).
  return createHash('sha256')
    .update(
      `${prev}\0${e.seq}\0${e.recorded}\0${e.username ?? ''}\0${e.action}\0${e.outcome}\0${e.patients.join(',')}\0${e.content}\0`,
    )
    .digest('hex');
}

export interface VerifyReport {
  ok: boolean;
  checked: number;
  /** The first entry whose link does not hold, and why. */
  broken?: { seq: string; reason: string };
}

/** Checks a trail given in sequence order (an async stream of rows, so any length fits in memory). */
export async function verifyChain(
  rows: AsyncIterable<ChainedFields & { prev_hash: string | null; hash: string | null }>,
): Promise<VerifyReport> {
  let prev = GENESIS;
  let checked = 0;
  let lastSeq = -1n;
  for await (const r of rows) {
    const seq = BigInt(r.seq);
    if (seq <= lastSeq)
      return { ok: false, checked, broken: { seq: r.seq, reason: 'entries are out of order' } };
    lastSeq = seq;
    if (r.prev_hash !== prev) {
      return {
        ok: false,
        checked,
        broken: {
          seq: r.seq,
          reason:
            'the link to the previous entry is broken (an entry before it was deleted, inserted or reordered)',
        },
      };
    }
    if (r.hash !== entryHash(prev, r))
      return {
        ok: false,
        checked,
        broken: { seq: r.seq, reason: 'the entry was altered after it was written' },
      };
    prev = r.hash;
    checked++;
  }
  return { ok: true, checked };
}
