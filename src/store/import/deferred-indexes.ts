// Bulk import into an empty embedded database: the secondary indexes of the record tables are dropped
// before the load and built once at its end, sorted, instead of row by row (on PGlite, index upkeep was
// most of the database's time). Dropping and rebuilding each commit in one transaction with their record
// in deferred_index, so a killed import leaves a database that the next start completes.
import type { Database } from '../../platform/db/database.js';

/** The tables whose non-unique indexes wait; unique ones stay (they keep ids unique and drive ON CONFLICT). */
const TABLES = [
  'resource',
  'resource_version',
  'resource_compartment',
  'sp_token',
  'sp_string',
  'sp_date',
  'sp_reference',
  'sp_number',
  'sp_quantity',
  'sp_uri',
  'sp_composite',
  'sp_text',
];

/**
 * The importer reads while it loads: shared resources are matched by identifier (and conditional
 * references resolved), so token rows of `identifier` parameters keep an index during the load. The
 * planner proves a partial index's `param IN (...)` from `param = $1` only for up to 100 values, hence
 * one index per hundred parameters.
 */
const IDENTIFIER_CHUNK = 100;

/**
 * Drops the secondary indexes when the database holds no resource yet and nothing else can read it
 * (the embedded database: one process owns its folder). Returns whether it did.
 */
export async function deferIndexes(db: Database): Promise<boolean> {
  if (db.kind !== 'pglite') return false;
  return db.transaction(async (tx) => {
    const busy = await tx.query(
      'SELECT EXISTS (SELECT 1 FROM resource) OR EXISTS (SELECT 1 FROM deferred_index) AS busy',
    );
    if ((busy.rows[0] as { busy: boolean }).busy) return false;
    const indexes = await tx.query<{ name: string; definition: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1::text[])
          AND NOT x.indisunique AND NOT x.indisprimary
        ORDER BY i.relname`,
      [TABLES],
    );
    if (!indexes.rows.length) return false;
    for (const ix of indexes.rows) {
      await tx.query('INSERT INTO deferred_index (name, definition) VALUES ($1, $2)', [
        ix.name,
        ix.definition,
      ]);
      await tx.query(`DROP INDEX ${quoteIdent(ix.name)}`);
    }
    const ids = await tx.query<{ id: number }>(
      "SELECT id FROM search_param WHERE code = 'identifier' AND type = 'token' ORDER BY id",
    );
    for (let k = 0; k * IDENTIFIER_CHUNK < ids.rows.length; k++) {
      const list = ids.rows.slice(k * IDENTIFIER_CHUNK, (k + 1) * IDENTIFIER_CHUNK).map((r) => Number(r.id));
      const name = `import_sp_token_identifier_${k}`;
      const definition = `CREATE INDEX ${name} ON sp_token (param, code, system) WHERE param IN (${list.join(', ')})`;
      await tx.query('INSERT INTO deferred_index (name, definition, temporary) VALUES ($1, $2, true)', [
        name,
        definition,
      ]);
      await tx.query(definition);
    }
    return true;
  });
}

/** Builds every index that an import deferred, and drops its temporary ones, in one transaction. */
export async function restoreDeferredIndexes(db: Database): Promise<number> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('deferred_index')::text AS t");
  if (!exists.rows[0]?.t) return 0;
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ name: string; definition: string; temporary: boolean }>(
      'SELECT name, definition, temporary FROM deferred_index ORDER BY temporary DESC, name FOR UPDATE',
    );
    for (const r of rows.rows) {
      if (r.temporary) await tx.query(`DROP INDEX IF EXISTS ${quoteIdent(r.name)}`);
      else await tx.query(r.definition);
    }
    if (rows.rows.length) await tx.query('DELETE FROM deferred_index');
    return rows.rows.filter((r) => !r.temporary).length;
  });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
