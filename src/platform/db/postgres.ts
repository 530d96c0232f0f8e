// PostgreSQL through a pg connection pool.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';

// Return bigint (int8) and numeric as strings is pg's default; timestamps we keep as strings to avoid
// the lossy JS Date round trip (FHIR instants keep their precision and offset as stored).
pg.types.setTypeParser(1184, (v) => v); // timestamptz
pg.types.setTypeParser(1114, (v) => v); // timestamp

/**
 * Names of the statements run prepared. Each connection keeps every statement it prepared, so their
 * number is capped: beyond the cap a statement runs unprepared (parsed and planned each time, as all
 * statements did before). Connections are replaced after MAX_USES queries, which also frees them.
 */
const MAX_PREPARED = 500;
const MAX_USES = 50_000;
const prepared = new Map<string, string>();

function statementName(sql: string): string | undefined {
  let name = prepared.get(sql);
  if (name === undefined && prepared.size < MAX_PREPARED) {
    name = `c${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    prepared.set(sql, name);
  }
  return name;
}

export async function openPostgres(url: string, poolSize: number): Promise<Database> {
  // Connections, once opened, stay open while idle (`min`): pg's default closes them after 10 s, and the
  // next burst of requests then waited for new backends, each warming its caches and preparing its
  // statements again (on the read bench, a p99 of 34-101 ms in the run after a pause against ~20 ms).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, min: poolSize, maxUses: MAX_USES });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Nothing to do here.
  });
  const client = await pool.connect(); // fail fast with a clear error if the server is unreachable
  client.release();
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
      const name = opts?.prepare ? statementName(sql) : undefined;
      const r = name
        ? await c.query({ name, text: sql, values: params as unknown[] })
        : await c.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
  });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(wrap(c));
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
