// The one database interface the store talks to; PGlite and PostgreSQL implement it (pglite.ts, postgres.ts).

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Run as a named prepared statement (PostgreSQL): parsed once per connection, and planned once when
   * PostgreSQL finds its generic plan as good as the plans for the values. Only for statements whose
   * best plan does not depend on the values (reads by id, patient-anchored searches: see
   * store/search/compile.ts); PGlite ignores it.
   */
  prepare?: boolean;
}

export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    opts?: QueryOptions,
  ): Promise<QueryResult<T>>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
}): Promise<Database> {
  if (opts.databaseUrl) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(opts.databaseUrl, opts.poolSize ?? 10);
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite(opts.dataDir);
}
