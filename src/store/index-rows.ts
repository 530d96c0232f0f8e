// Writes and removes search-index rows: one multi-row INSERT (unnest of column arrays) per index table.
import type { IndexBatch } from '../fhir/index/extract.js';
import type { Queryable } from '../platform/db/database.js';
import { arrayLength, int4Array, int8Array, textArray, timestamptzArray } from './binary-arrays.js';
import type { TextVectors } from './import/text-vectors.js';

export async function deleteIndexRows(tx: Queryable, rids: string[]): Promise<void> {
  if (rids.length === 0) return;
  const keys = int8Array(rids);
  for (const { table: t } of TABLES.filter((x) => x.table.startsWith('sp_')))
    await tx.query(`DELETE FROM ${t} WHERE rid = ANY($1::bigint[])`, [keys]);
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
    [textArray(patient), int8Array(rid)],
  );
}

/**
 * Each index table with the SQL types of its columns, in the order of the batch's column arrays
 * (the order `emptyBatch` in fhir/index/extract.ts gives them).
 */
export const TABLES: { table: string; key: keyof IndexBatch; types: string[] }[] = [
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
  // the narrative's and the content's words, as tsvectors (TEXT_INSERT)
  { table: 'sp_text', key: 'text', types: ['bigint', 'text', 'text'] },
];

/**
 * sp_text's rows with each distinct text parsed once: resources of a kind repeat their words (the Synthea
 * corpus has 2,182 distinct `_content` texts in 36,492 resources, and 176 narratives), and `to_tsvector` was
 * the embedded import's costliest statement. The texts are joined back by equality (hashed), so a row gets
 * exactly the vector of its own text; the parameters are the rid, narrative and content columns.
 */
const TEXT_INSERT = `INSERT INTO sp_text
  WITH u AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) u(rid, narrative, content)),
       t AS (SELECT t, to_tsvector('english', t) AS v
               FROM (SELECT narrative FROM u UNION SELECT content FROM u) d(t))
  SELECT u.rid, n.v, c.v FROM u JOIN t n ON n.t = u.narrative JOIN t c ON c.t = u.content`;

/**
 * A batch whose columns may also be PostgreSQL arrays in binary form (the embedded import's prepared rows,
 * store/binary-arrays.ts), in the same column order.
 */
export type EncodedBatch = Record<keyof IndexBatch, Record<string, unknown[] | Uint8Array>>;

/**
 * A column in binary form (store/binary-arrays.ts). numeric columns go as text[], cast by the SQL (`argOf`):
 * PostgreSQL reads each value with numeric's own input function, as from an array literal, and no binary
 * numeric encoder has to be trusted. timestamptz values in another form than the index's instants stay strings.
 */
function encodeColumn(values: unknown[] | Uint8Array, type: string): unknown[] | Uint8Array {
  if (values instanceof Uint8Array) return values;
  switch (type) {
    case 'bigint':
      return int8Array(values as string[]);
    case 'int':
      return int4Array(values as number[]);
    case 'text':
    case 'numeric':
      return textArray(values as (string | null)[]);
    case 'timestamptz':
      return timestamptzArray(values as string[]) ?? values;
    default:
      return values;
  }
}

/** The SQL of parameter k (from 1) for a column of this type. */
const argOf = (type: string, k: number) =>
  type === 'numeric' ? `$${k}::text[]::numeric[]` : `$${k}::${type}[]`;

/**
 * Inserts a batch's rows. `fresh`: every row belongs to a resource created in this transaction, so no
 * compartment row can exist already (the import pipeline: no ON CONFLICT's speculative insertion).
 * `texts`: the import's tsvectors of texts seen before (import/text-vectors.ts), for sp_text's rows when
 * their texts are strings; else TEXT_INSERT.
 */
export async function insertIndexRows(
  tx: Queryable,
  b: IndexBatch | EncodedBatch,
  { fresh = false, texts }: { fresh?: boolean; texts?: TextVectors } = {},
): Promise<void> {
  // the compartment rows go twice: as rows of their own and joined with the token rows
  const compartment = [
    encodeColumn(b.compartment.patient, 'text'),
    encodeColumn(b.compartment.rid, 'bigint'),
  ];
  for (const { table, key, types } of TABLES) {
    const raw = Object.values(b[key]) as (unknown[] | Uint8Array)[];
    if ((Array.isArray(raw[0]) ? raw[0].length : arrayLength(raw[0])) === 0) continue;
    if (table === 'sp_text' && texts && Array.isArray(raw[1]) && Array.isArray(raw[2])) {
      const rid = encodeColumn(raw[0], 'bigint');
      await texts.insert(tx, { rid, narrative: raw[1] as string[], content: raw[2] as string[] });
      continue;
    }
    const cols = key === 'compartment' ? compartment : raw.map((c, k) => encodeColumn(c, types[k]));
    const args = types.map((t, k) => argOf(t, k + 1)).join(', ');
    if (table === 'sp_token') {
      await insertTokenRows(tx, cols, compartment, args, types.length);
      continue;
    }
    if (table === 'sp_text') {
      await tx.query(TEXT_INSERT, cols);
      continue;
    }
    const conflict = table === 'resource_compartment' && !fresh ? ' ON CONFLICT DO NOTHING' : '';
    await tx.query(`INSERT INTO ${table} SELECT * FROM unnest(${args})${conflict}`, cols);
  }
}

/**
 * Token rows carry the patient whose compartment holds their resource (migration 019): joined here with
 * the batch's compartment rows, so a resource in several compartments has its rows once per patient and
 * one in none has them once, without a patient.
 */
async function insertTokenRows(
  tx: Queryable,
  cols: (unknown[] | Uint8Array)[],
  compartment: (unknown[] | Uint8Array)[],
  args: string,
  n: number,
): Promise<void> {
  await tx.query(
    `INSERT INTO sp_token (rid, param, system, code, text, of_type, patient)
     SELECT u.*, c.patient FROM unnest(${args}) u(rid, param, system, code, text, of_type)
       LEFT JOIN unnest($${n + 1}::text[], $${n + 2}::bigint[]) c(patient, rid) ON c.rid = u.rid`,
    [...cols, ...compartment],
  );
}
