// Gives the quantities indexed before UCUM units were converted their canonical rows (sp_quantity under
// the negated parameter id, fhir/ucum/canonical.ts), worked out from their own index rows, so the
// resources need not be read or written again. One transaction per batch of resources, each locked
// against a concurrent write; resources that have canonical rows already are left alone, so it can be
// stopped and run again. Composite rows need the resource's units, which their rows do not hold: they get
// theirs when the resource is written again.
import { canonicalRange, UCUM_SYSTEM } from '../fhir/ucum/canonical.js';
import type { Database, Queryable } from '../platform/db/database.js';
import { walkRidBatches } from './rid-batches.js';

export interface UcumIndexProgress {
  /** Resources with UCUM quantities looked at so far, of `total`. */
  scanned: number;
  total: number;
  /** Canonical rows added. */
  added: number;
}

const BATCH = 1000;

export async function indexExistingUcum(
  db: Database,
  onProgress: (p: UcumIndexProgress) => void = () => {},
): Promise<UcumIndexProgress> {
  const total = Number(
    (
      await db.query<{ n: string }>(
        'SELECT count(DISTINCT rid)::text AS n FROM sp_quantity WHERE system = $1 AND param > 0',
        [UCUM_SYSTEM],
      )
    ).rows[0].n,
  );
  const walked = await walkRidBatches(
    db,
    async (after) =>
      // ordered as numbers (the text form would order 10 before 9 and skip rids)
      (
        await db.query<{ rid: string }>(
          `SELECT rid::text AS rid FROM (SELECT DISTINCT rid FROM sp_quantity
              WHERE system = $1 AND param > 0 AND rid > $2::bigint ORDER BY rid LIMIT ${BATCH}) b ORDER BY b.rid`,
          [UCUM_SYSTEM, after],
        )
      ).rows.map((r) => r.rid),
    addCanonicalRows,
    (p) => onProgress({ scanned: p.scanned, total, added: p.changed }),
  );
  return { scanned: walked.scanned, total, added: walked.changed };
}

async function addCanonicalRows(tx: Queryable, rids: string[]): Promise<number> {
  // Locked so that a write meanwhile (which replaces the rows) cannot interleave with this one.
  await tx.query('SELECT 1 FROM resource WHERE rid = ANY($1::bigint[]) ORDER BY rid FOR UPDATE', [rids]);
  const rows = (
    await tx.query<{ rid: string; param: number; code: string; lo: string; hi: string }>(
      `SELECT q.rid::text AS rid, q.param, q.code, q.lo::text AS lo, q.hi::text AS hi FROM sp_quantity q
        WHERE q.rid = ANY($1::bigint[]) AND q.system = $2 AND q.param > 0 AND q.code IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM sp_quantity c WHERE c.rid = q.rid AND c.param < 0)`,
      [rids, UCUM_SYSTEM],
    )
  ).rows;
  const out = {
    rid: [] as string[],
    param: [] as number[],
    code: [] as string[],
    lo: [] as string[],
    hi: [] as string[],
  };
  for (const r of rows) {
    const c = canonicalRange(r.code, r.lo, r.hi);
    if (!c) continue;
    out.rid.push(r.rid);
    out.param.push(-r.param);
    out.code.push(c.code);
    out.lo.push(c.lo);
    out.hi.push(c.hi);
  }
  if (out.rid.length)
    await tx.query(
      `INSERT INTO sp_quantity (rid, param, system, code, lo, hi)
       SELECT rid, param, $6, code, lo, hi FROM unnest($1::bigint[], $2::int[], $3::text[], $4::numeric[], $5::numeric[])
         u(rid, param, code, lo, hi)`,
      [out.rid, out.param, out.code, out.lo, out.hi, UCUM_SYSTEM],
    );
  return out.rid.length;
}
