// Writes and removes search-index rows: one multi-row INSERT (unnest of column arrays) per index table.
import type { IndexBatch } from '../fhir/index/extract.js';
import type { Queryable } from '../platform/db/database.js';
import { arrayLength } from './import/binary-arrays.js';

export async function deleteIndexRows(tx: Queryable, rids: string[]): Promise<void> {
  if (rids.length === 0) return;
  for (const { table: t } of TABLES.filter((x) => x.table.startsWith('sp_')))
    await tx.query(`DELETE FROM ${t} WHERE rid = ANY($1::bigint[])`, [rids]);
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

/**
 * Each index table with the SQL types of its columns, in the order of the batch's column arrays
 * (the order `emptyBatch` in fhir/index/extract.ts gives them).
 */
export const TABLES: { table: string; key: keyof IndexBatch; types: string[]; select?: string }[] = [
  { table: 'sp_token', key: 'token', types: ['bigint', 'int', 'text', 'text', 'text', 'text'] },
  { table: 'sp_string', key: 'string', types: ['bigint', 'int', 'text', 'text'] },
  { table: 'sp_date', key: 'date', types: ['bigint', 'int', 'timestamptz', 'timestamptz'] },
  { table: 'sp_reference', key: 'reference', types: ['bigint', 'int', 'text', 'text'] },
  { table: 'sp_number', key: 'number', types: ['bigint', 'int', 'numeric', 'numeric'] },
  { table: 'sp_quantity', key: 'quantity', types: ['bigint', 'int', 'text', 'text', 'numeric', 'numeric'] },
  { table: 'sp_uri', key: 'uri', types: ['bigint', 'int', 'text'] },
  {
    table: 'sp_composite',
    key: 'composite',
    types: ['bigint', 'int', 'text', 'numeric', 'numeric', 'text', 'numeric', 'numeric'],
  },
  { table: 'resource_compartment', key: 'compartment', types: ['text', 'bigint'] },
  {
    table: 'sp_text',
    key: 'text',
    types: ['bigint', 'text', 'text'],
    select: "rid, to_tsvector('english', narrative), to_tsvector('english', content)",
  },
];

/**
 * A batch whose columns may also be PostgreSQL arrays in binary form (the embedded import's prepared rows,
 * store/import/binary-arrays.ts), in the same column order.
 */
export type EncodedBatch = Record<keyof IndexBatch, Record<string, unknown[] | Uint8Array>>;

export async function insertIndexRows(tx: Queryable, b: IndexBatch | EncodedBatch): Promise<void> {
  for (const { table, key, types, select } of TABLES) {
    const cols = Object.values(b[key]) as (unknown[] | Uint8Array)[];
    if ((Array.isArray(cols[0]) ? cols[0].length : arrayLength(cols[0])) === 0) continue;
    if (table === 'sp_token') {
      await insertTokenRows(tx, b, cols, types);
      continue;
    }
    const args = types.map((t, k) => `$${k + 1}::${t}[]`).join(', ');
    const conflict = table === 'resource_compartment' ? ' ON CONFLICT DO NOTHING' : '';
    const from = select
      ? `${select} FROM unnest(${args}) u(${Object.keys(b[key]).join(', ')})`
      : `* FROM unnest(${args})`;
    await tx.query(`INSERT INTO ${table} SELECT ${from}${conflict}`, cols);
  }
}

/**
 * Token rows carry the patient whose compartment holds their resource (migration 019): joined here with
 * the batch's compartment rows, so a resource in several compartments has its rows once per patient and
 * one in none has them once, without a patient.
 */
async function insertTokenRows(
  tx: Queryable,
  b: IndexBatch | EncodedBatch,
  cols: (unknown[] | Uint8Array)[],
  types: string[],
): Promise<void> {
  const args = types.map((t, k) => `$${k + 1}::${t}[]`).join(', ');
  const n = types.length;
  await tx.query(
    `INSERT INTO sp_token (rid, param, system, code, text, of_type, patient)
     SELECT u.*, c.patient FROM unnest(${args}) u(rid, param, system, code, text, of_type)
       LEFT JOIN unnest($${n + 1}::text[], $${n + 2}::bigint[]) c(patient, rid) ON c.rid = u.rid`,
    [...cols, b.compartment.patient, b.compartment.rid],
  );
}
