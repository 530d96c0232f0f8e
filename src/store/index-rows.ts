// Writes and removes search-index rows: one multi-row INSERT (unnest of column arrays) per index table.
import type { IndexBatch } from '../fhir/index/extract.js';
import type { Queryable } from '../platform/db/database.js';

const INDEX_TABLES = [
  'sp_token',
  'sp_string',
  'sp_date',
  'sp_reference',
  'sp_number',
  'sp_quantity',
  'sp_uri',
  'sp_composite',
];

export async function deleteIndexRows(tx: Queryable, rids: string[]): Promise<void> {
  if (rids.length === 0) return;
  for (const t of INDEX_TABLES) await tx.query(`DELETE FROM ${t} WHERE rid = ANY($1::bigint[])`, [rids]);
}

export async function deleteCompartmentRows(
  tx: Queryable,
  rows: { rid: string; patients: string[] }[],
): Promise<void> {
  const patient: string[] = [];
  const rid: string[] = [];
  for (const r of rows)
    for (const p of r.patients) {
      patient.push(p);
      rid.push(r.rid);
    }
  if (patient.length === 0) return;
  await tx.query(
    'DELETE FROM resource_compartment c USING unnest($1::text[], $2::bigint[]) u(patient, rid) WHERE c.patient = u.patient AND c.rid = u.rid',
    [patient, rid],
  );
}

export async function insertIndexRows(tx: Queryable, b: IndexBatch): Promise<void> {
  const q = (sql: string, cols: unknown[][]) => (cols[0].length ? tx.query(sql, cols) : undefined);
  await q('INSERT INTO sp_token SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])', [
    b.token.rid,
    b.token.param,
    b.token.system,
    b.token.code,
  ]);
  await q('INSERT INTO sp_string SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])', [
    b.string.rid,
    b.string.param,
    b.string.value,
    b.string.raw,
  ]);
  await q(
    'INSERT INTO sp_date SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::timestamptz[])',
    [b.date.rid, b.date.param, b.date.lo, b.date.hi],
  );
  await q('INSERT INTO sp_reference SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])', [
    b.reference.rid,
    b.reference.param,
    b.reference.targetType,
    b.reference.targetId,
  ]);
  await q(
    'INSERT INTO sp_number SELECT * FROM unnest($1::bigint[], $2::int[], $3::numeric[], $4::numeric[])',
    [b.number.rid, b.number.param, b.number.lo, b.number.hi],
  );
  await q(
    'INSERT INTO sp_quantity SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::numeric[], $6::numeric[])',
    [b.quantity.rid, b.quantity.param, b.quantity.system, b.quantity.code, b.quantity.lo, b.quantity.hi],
  );
  await q('INSERT INTO sp_uri SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[])', [
    b.uri.rid,
    b.uri.param,
    b.uri.value,
  ]);
  await q(
    'INSERT INTO sp_composite SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::numeric[], $5::numeric[])',
    [b.composite.rid, b.composite.param, b.composite.key, b.composite.lo, b.composite.hi],
  );
  await q(
    'INSERT INTO resource_compartment SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING',
    [b.compartment.patient, b.compartment.rid],
  );
}
