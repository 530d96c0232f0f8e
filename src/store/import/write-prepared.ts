// The database half of the import pipeline: writes a file prepared on a worker thread (prepare-file.ts) as
// version 1 of new resources, with the rows applyWrites would write for them, in the caller's transaction.
import type { Queryable } from '../../platform/db/database.js';
import { concatArrays, int8Array, textArray } from '../binary-arrays.js';
import { type EncodedBatch, insertIndexRows } from '../index-rows.js';
import { setRestriction } from '../restrictions.js';
import { textArrayLiteral } from '../sql-literals.js';
import type { WriteResult } from '../write.js';
import type { ImportMemory } from './import-memory.js';
import type { PreparedFile, PreparedResource } from './prepare-file.js';

/**
 * The prepared index rows of the main batch and of the resources in `extra`, as one batch ready to insert:
 * rid columns (Bundle positions, or none for an extra's own rows) become int8[] of the internal keys, and the
 * other columns are joined (binary arrays byte-wise).
 */
function mergeBatches(
  main: EncodedBatch,
  extra: PreparedResource[],
  ridOf: (index: number) => string,
): EncodedBatch {
  const out = {} as EncodedBatch;
  for (const key of Object.keys(main) as (keyof EncodedBatch)[]) {
    const cols: Record<string, unknown[] | Uint8Array> = {};
    for (const [name, col] of Object.entries(main[key])) {
      if (name === 'rid') {
        const rids = (col as string[]).map((position) => ridOf(Number(position)));
        for (const r of extra) {
          const own = (r.batch as EncodedBatch)[key];
          // an extra's rows are its own: their count is that of any other column
          const n = Array.isArray(own.rid) ? own.rid.length : 0;
          for (let k = 0; k < n; k++) rids.push(ridOf(r.index));
        }
        cols[name] = int8Array(rids);
        continue;
      }
      let merged = col;
      for (const r of extra) {
        const more = (r.batch as EncodedBatch)[key][name];
        merged =
          merged instanceof Uint8Array
            ? concatArrays(merged, more as Uint8Array)
            : [...merged, ...(more as unknown[])];
      }
      cols[name] = merged;
    }
    out[key] = cols;
  }
  return out;
}

/**
 * Writes the resources of `file` except those at the Bundle positions in `matched` (found existing by
 * their condition). Returns undefined when one of them exists already: the caller then rolls its
 * transaction back (some rows may be written) and the one-thread path handles the file (updates need the
 * current version). `memory`: what the import's writer keeps across its files (its `sole`: this
 * connection is the database's only writer).
 */
export async function writePrepared(
  tx: Queryable,
  file: PreparedFile,
  matched: ReadonlySet<number>,
  memory?: ImportMemory,
): Promise<WriteResult[] | undefined> {
  const plain = file.resources.filter((r) => !r.condition);
  const extra = file.resources.filter((r) => r.condition && !matched.has(r.index));
  const rows = [...plain, ...extra];
  if (rows.length === 0) return [];
  // Internal keys in the order applyWrites hands them out: creates (POST) before updates (PUT).
  const ordered = [...rows].sort((a, b) => rank(a) - rank(b) || a.index - b.index);
  const ridOf = new Map<number, string>();
  const rids = await newRids(tx, ordered.length, memory?.sole === true);
  for (const [k, r] of ordered.entries()) ridOf.set(r.index, rids[k]);
  const rid = (r: PreparedResource) => ridOf.get(r.index) as string;

  // The current rows first: a resource that exists already is a (type, id) that the unique index refuses,
  // and then the file is not new (one probe of the index per row, no separate lookup; a savepoint keeps
  // the transaction usable, cheaper than ON CONFLICT's speculative insertion).
  const patients = rows.map((r) => textArrayLiteral(r.patients));
  await tx.query('SAVEPOINT new_rows');
  try {
    await tx.query(
      `INSERT INTO resource (rid, type, id, version, last_updated, patients, restricted_to)
       SELECT u.rid, u.type, u.id, 1, $4::timestamptz, u.patients::text[], u.restricted_to::text[]
         FROM unnest($1::bigint[], $2::text[], $3::text[], $5::text[], $6::text[]) u(rid, type, id, patients, restricted_to)`,
      [
        rows.map(rid),
        rows.map((r) => r.type),
        rows.map((r) => r.id),
        file.now,
        patients,
        rows.map((r, k) => (r.labels.length ? patients[k] : null)),
      ],
    );
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT new_rows');
    return undefined;
  }
  await tx.query('RELEASE SAVEPOINT new_rows');

  // The documents as a text[] in binary form (prepare-file.ts): PGlite copies their bytes.
  const contents = extra.length
    ? plain.length
      ? concatArrays(file.contents, textArray(extra.map((r) => r.content as string)))
      : textArray(extra.map((r) => r.content as string))
    : file.contents;
  await tx.query(
    `INSERT INTO resource_version (rid, version, type, id, last_updated, deleted, method, content)
     SELECT u.rid, 1, u.type, u.id, $4::timestamptz, false, 'PUT', u.content
       FROM unnest($1::bigint[], $2::text[], $3::text[], $5::text[]) u(rid, type, id, content)`,
    [rows.map(rid), rows.map((r) => r.type), rows.map((r) => r.id), file.now, contents],
  );
  // The rid columns of the prepared rows hold the resource's Bundle position.
  const batch = mergeBatches(file.batch, extra, (index) => ridOf.get(index) as string);
  await insertIndexRows(tx, batch, { fresh: true, texts: memory?.texts });
  for (const r of ordered) if (r.type === 'Patient') await setRestriction(tx, r.id, r.labels);
  return ordered.map((r) => ({
    type: r.type,
    id: r.id,
    version: 1,
    lastUpdated: file.now,
    status: 201,
    oldPatients: [],
    newPatients: r.patients,
  }));
}

const UNIQUE_VIOLATION = '23505';

const rank = (r: PreparedResource) => (r.method === 'POST' ? 0 : 1);

/**
 * `n` new internal keys, in ascending order. The only writer takes them in one step (setval) instead of
 * `n` calls of nextval; with other writers about each is its own nextval (others' keys may come between).
 */
async function newRids(tx: Queryable, n: number, sole: boolean): Promise<string[]> {
  if (!sole) {
    const ids = await tx.query<{ rid: string }>(
      "SELECT nextval('resource_rid_seq')::text AS rid FROM generate_series(1, $1)",
      [n],
    );
    return ids.rows.map((r) => r.rid);
  }
  const r = await tx.query<{ last: string }>(
    "SELECT setval('resource_rid_seq', nextval('resource_rid_seq') + $1 - 1)::text AS last",
    [n],
  );
  const first = BigInt(r.rows[0].last) - BigInt(n - 1);
  return Array.from({ length: n }, (_, k) => (first + BigInt(k)).toString());
}
