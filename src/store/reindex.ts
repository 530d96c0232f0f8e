// Rebuilds the search-index rows and patient-compartment membership of stored resources from their current
// version: after a release changes what a search parameter indexes (migration 025: Observation's combo-*
// composites reading components, code-value-date reading valueDateTime), or to repair an index. Walks
// current resources in the order of their internal key, one transaction per batch (500 resources), each
// resource locked against a concurrent write; a batch's rows are replaced wholesale, so the walk can be
// stopped at any point and run again. Nothing else changes: no new version, no lastUpdated, the documents
// as stored.
import { emptyBatch, extractIndex } from '../fhir/index/extract.js';
import { parseJson } from '../fhir/json.js';
import { forEachSsn, SSN_SYSTEM } from '../fhir/ssn.js';
import type { Database, Queryable } from '../platform/db/database.js';
import { int8Array, textArray } from './binary-arrays.js';
import { deleteCompartmentRows, deleteIndexRows, insertIndexRows } from './index-rows.js';
import type { ParamRegistry } from './param-registry.js';
import { walkRidBatches } from './rid-batches.js';
import { textArrayLiteral } from './sql-literals.js';
import { type SsnSealer, useBlindIndex } from './ssn-sealing.js';

export interface ReindexProgress {
  /** Current resources re-indexed so far, of `total`. */
  scanned: number;
  total: number;
  /** Of them, resources whose patient compartments changed. */
  moved: number;
}

/** Re-indexes every current resource, or those of `types` (resource type names) only. */
export async function reindexResources(
  db: Database,
  params: ParamRegistry,
  ssn: SsnSealer,
  types: string[] = [],
  onProgress: (p: ReindexProgress) => void = () => {},
  batchSize = 500,
): Promise<ReindexProgress> {
  const only = types.length ? types : null;
  const total = Number(
    (
      await db.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM resource WHERE NOT deleted AND ($1::text[] IS NULL OR type = ANY($1::text[]))',
        [only],
      )
    ).rows[0].n,
  );
  const walked = await walkRidBatches(
    db,
    async (after) =>
      (
        await db.query<{ rid: string }>(
          // ordered by the bigint (`r.rid`: a bare `rid` would name the text output column, whose order
          // puts 10 before 9 and makes the walk skip keys)
          `SELECT r.rid::text AS rid FROM resource r
            WHERE NOT r.deleted AND r.rid > $1::bigint AND ($2::text[] IS NULL OR r.type = ANY($2::text[]))
            ORDER BY r.rid LIMIT $3`,
          [after, only, batchSize],
        )
      ).rows.map((r) => r.rid),
    (tx, rids) => reindexBatch(tx, params, ssn, rids),
    (p) => onProgress({ scanned: p.scanned, total, moved: p.changed }),
  );
  // Upgrades that asked for a reindex of these types (index_backfill rows named `reindex Type: why`) are done.
  await db.query(
    `UPDATE index_backfill SET done_at = now()
      WHERE done_at IS NULL AND name LIKE 'reindex %' AND ($1::text[] IS NULL OR split_part(substr(name, 9), ':', 1) = ANY($1::text[]))`,
    [only],
  );
  return { scanned: walked.scanned, total, moved: walked.changed };
}

/** Reindexes that an upgrade asks for and that have not run: [resource type, why]. */
export async function pendingReindexes(q: Queryable): Promise<[string, string][]> {
  const r = await q.query<{ name: string }>(
    "SELECT name FROM index_backfill WHERE done_at IS NULL AND name LIKE 'reindex %' ORDER BY name",
  );
  return r.rows.map((x) => {
    const [type, ...why] = x.name.slice('reindex '.length).split(':');
    return [type, why.join(':').trim()];
  });
}

/** Replaces the index rows of one batch; returns how many resources changed compartments. */
async function reindexBatch(
  tx: Queryable,
  params: ParamRegistry,
  ssn: SsnSealer,
  rids: string[],
): Promise<number> {
  // Locked (and read) in one statement, so that a write meanwhile cannot be indexed over; a resource
  // deleted since the batch was listed is left alone.
  const rows = (
    await tx.query<{ rid: string; patients: string[]; content: string }>(
      `SELECT r.rid::text AS rid, r.patients, v.content FROM resource r
         JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
        WHERE r.rid = ANY($1::bigint[]) AND NOT r.deleted ORDER BY r.rid FOR UPDATE OF r`,
      [int8Array(rids)],
    )
  ).rows;
  const batch = emptyBatch();
  const moved: { rid: string; patients: string[] }[] = [];
  const now: string[] = [];
  for (const r of rows) {
    const doc = parseJson(r.content) as { resourceType: string };
    // The stored SSNs are sealed: their token rows hold the blind index, as a write gives them.
    const blind = new Map<string, string>();
    if (r.content.includes(SSN_SYSTEM))
      forEachSsn(doc, (id) => blind.set(id.value, ssn.blindIndex(id.value)));
    const first = batch.token.code.length;
    const patients = extractIndex(doc, r.rid, params.idOf, batch);
    if (blind.size) useBlindIndex(batch, first, blind);
    if (textArrayLiteral(patients) !== textArrayLiteral(r.patients)) {
      moved.push({ rid: r.rid, patients: r.patients });
      now.push(textArrayLiteral(patients));
    }
  }
  const locked = rows.map((r) => r.rid);
  await deleteIndexRows(tx, locked);
  await deleteCompartmentRows(tx, moved);
  if (moved.length)
    await tx.query(
      `UPDATE resource r SET patients = u.patients::text[],
              restricted_to = CASE WHEN r.restricted_to IS NULL THEN NULL ELSE u.patients::text[] END
         FROM unnest($1::bigint[], $2::text[]) u(rid, patients) WHERE r.rid = u.rid`,
      [int8Array(moved.map((m) => m.rid)), textArray(now)],
    );
  await insertIndexRows(tx, batch);
  return moved.length;
}
