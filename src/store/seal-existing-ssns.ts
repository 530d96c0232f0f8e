// Seals the Social Security numbers of a database written before SSNs were sealed at rest: every stored
// version that still holds a plain SSN is rewritten in place with it sealed, and the current versions get
// their index rows again (blind index in sp_token, no number in sp_text). One transaction per batch, so it
// can be stopped and run again; versions already sealed are left alone.
import { emptyBatch, extractIndex } from '../fhir/index/extract.js';
import { parseJson, stringifyJson } from '../fhir/json.js';
import { forEachSsn, isSealed, SSN_SYSTEM } from '../fhir/ssn.js';
import type { Database } from '../platform/db/database.js';
import { deleteIndexRows, insertIndexRows } from './index-rows.js';
import type { ParamRegistry } from './param-registry.js';
import { type SsnSealer, useBlindIndex } from './ssn-sealing.js';

export interface SealProgress {
  /** Stored versions mentioning the SSN system, looked at so far, of `total`. */
  scanned: number;
  total: number;
  /** Versions rewritten with their SSNs sealed. */
  sealed: number;
}

const BATCH = 500;
const MENTIONS_SSN = `%${SSN_SYSTEM}%`;

export async function sealExistingSsns(
  db: Database,
  params: ParamRegistry,
  ssn: SsnSealer,
  onProgress: (p: SealProgress) => void = () => {},
): Promise<SealProgress> {
  const total = Number(
    (
      await db.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM resource_version WHERE content LIKE $1',
        [MENTIONS_SSN],
      )
    ).rows[0].n,
  );
  const progress: SealProgress = { scanned: 0, total, sealed: 0 };
  let after = { rid: '0', version: 0 };
  for (;;) {
    const rows = (
      await db.query<{ rid: string; version: number; content: string }>(
        `SELECT rid::text AS rid, version, content FROM resource_version
          WHERE content LIKE $1 AND (rid, version) > ($2::bigint, $3::int)
          ORDER BY rid, version LIMIT ${BATCH}`,
        [MENTIONS_SSN, after.rid, after.version],
      )
    ).rows;
    if (rows.length === 0) break;
    after = rows[rows.length - 1];
    const plain = rows.filter((r) => {
      let found = false;
      forEachSsn(JSON.parse(r.content), (id) => {
        if (!isSealed(id.value)) found = true;
      });
      return found;
    });
    if (plain.length) await sealBatch(db, params, ssn, plain);
    progress.scanned += rows.length;
    progress.sealed += plain.length;
    onProgress({ ...progress });
  }
  return progress;
}

async function sealBatch(
  db: Database,
  params: ParamRegistry,
  ssn: SsnSealer,
  rows: { rid: string; version: number; content: string }[],
): Promise<void> {
  await db.transaction(async (tx) => {
    // The current versions are re-indexed; locked so that a write meanwhile cannot be indexed over.
    const current = new Map(
      (
        await tx.query<{ rid: string; version: number }>(
          'SELECT rid::text AS rid, version FROM resource WHERE rid = ANY($1::bigint[]) AND NOT deleted ORDER BY rid FOR UPDATE',
          [[...new Set(rows.map((r) => r.rid))]],
        )
      ).rows.map((r) => [r.rid, r.version]),
    );
    const batch = emptyBatch();
    const reindex: string[] = [];
    const contents: string[] = [];
    for (const r of rows) {
      const doc = parseJson(r.content) as { resourceType: string; id?: string };
      const blind = ssn.sealPlainInPlace(doc);
      contents.push(stringifyJson(doc));
      if (current.get(r.rid) !== r.version) continue;
      const first = batch.token.code.length;
      extractIndex(doc, r.rid, params.idOf, batch);
      useBlindIndex(batch, first, blind);
      reindex.push(r.rid);
    }
    await tx.query(
      `UPDATE resource_version v SET content = c.content
         FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY u(rid, version, n)
         JOIN json_array_elements_text($3::json) WITH ORDINALITY c(content, n) USING (n)
        WHERE v.rid = u.rid AND v.version = u.version`,
      [rows.map((r) => r.rid), rows.map((r) => r.version), JSON.stringify(contents)],
    );
    await deleteIndexRows(tx, reindex);
    await insertIndexRows(tx, batch);
  });
}
