// Gives the token index rows written before migration 019 the patient whose compartment holds their
// resource (the resource's own `patients`), so patient searches by code can use sp_token_patient
// (store/search/compile.ts). One transaction per batch of resources, each locked against a concurrent
// write; rows that have their patient already are left alone, so it can be stopped and run again. When the
// walk ends, index_backfill records it and searches start using the index (store/param-registry.ts).
import type { Database, Queryable } from '../platform/db/database.js';
import { walkRidBatches } from './rid-batches.js';

export const TOKEN_PATIENT_BACKFILL = 'sp_token.patient';

export interface PatientKeyProgress {
  /** Resources in a patient compartment looked at so far, of `total`. */
  scanned: number;
  total: number;
  /** Token rows given their patient, or added for a second patient of the same resource. */
  rows: number;
}

const BATCH = 2000;

export async function indexPatientKeys(
  db: Database,
  onProgress: (p: PatientKeyProgress) => void = () => {},
): Promise<PatientKeyProgress> {
  const total = Number(
    (
      await db.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM resource WHERE cardinality(patients) > 0',
      )
    ).rows[0].n,
  );
  const walked = await walkRidBatches(
    db,
    async (after) =>
      (
        await db.query<{ rid: string }>(
          // ordered by the number (the text alias would order 11 before 2)
          `SELECT r.rid::text AS rid FROM resource r WHERE r.rid > $1::bigint AND cardinality(r.patients) > 0
            ORDER BY r.rid LIMIT ${BATCH}`,
          [after],
        )
      ).rows.map((r) => r.rid),
    addPatientKeys,
    (p) => onProgress({ scanned: p.scanned, total, rows: p.changed }),
  );
  await db.query('UPDATE index_backfill SET done_at = now() WHERE name = $1 AND done_at IS NULL', [
    TOKEN_PATIENT_BACKFILL,
  ]);
  // The update left a dead version of every row it changed; reclaimed now rather than by a later
  // autovacuum, and the planner learns the column's values.
  if (walked.changed > 0) await db.query('VACUUM (ANALYZE) sp_token');
  return { scanned: walked.scanned, total, rows: walked.changed };
}

async function addPatientKeys(tx: Queryable, rids: string[]): Promise<number> {
  // Locked so that a write meanwhile (which replaces the rows, with their patient) cannot interleave.
  await tx.query('SELECT 1 FROM resource WHERE rid = ANY($1::bigint[]) ORDER BY rid FOR UPDATE', [rids]);
  const first = await tx.query(
    `UPDATE sp_token t SET patient = r.patients[1] FROM resource r
      WHERE r.rid = ANY($1::bigint[]) AND t.rid = r.rid AND t.patient IS NULL AND cardinality(r.patients) > 0`,
    [rids],
  );
  // A resource in several compartments: its rows again for each further patient (once: a rerun finds them).
  const more = await tx.query(
    `INSERT INTO sp_token (rid, param, system, code, text, of_type, patient)
     SELECT t.rid, t.param, t.system, t.code, t.text, t.of_type, p.patient
       FROM resource r
       JOIN sp_token t ON t.rid = r.rid AND t.patient = r.patients[1]
       CROSS JOIN LATERAL unnest(r.patients[2:]) p(patient)
      WHERE r.rid = ANY($1::bigint[]) AND cardinality(r.patients) > 1
        AND NOT EXISTS (SELECT 1 FROM sp_token d WHERE d.rid = r.rid AND d.patient = p.patient)`,
    [rids],
  );
  return (first.rowCount ?? 0) + (more.rowCount ?? 0);
}

/** Whether every token row carries its patient: a new database, or the backfill has run. */
export async function patientKeysReady(q: Queryable): Promise<boolean> {
  const r = await q.query<{ done: boolean }>(
    'SELECT done_at IS NOT NULL AS done FROM index_backfill WHERE name = $1',
    [TOKEN_PATIENT_BACKFILL],
  );
  return r.rows[0]?.done === true;
}
