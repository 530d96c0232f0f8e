// The embedded database: PGlite (PostgreSQL compiled to WebAssembly), file-backed under the data folder.
// One process owns the folder; a lock file says which, so a second process gets a clear error.

import fs from 'node:fs';
import path from 'node:path';
import { PGlite, type SerializerOptions, types } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import type { Database, Queryable, QueryResult } from './database.js';

function takeLock(dir: string): () => void {
  const lock = path.join(dir, 'chartroom.lock');
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lock, { force: true });
    } catch {
      const pid = Number(fs.readFileSync(lock, 'utf8'));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        alive = false;
      }
      if (alive) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${pid}. Stop that process first, or use PostgreSQL (DATABASE_URL).`,
        );
      }
      fs.rmSync(lock, { force: true }); // stale lock from a process that died
    }
  }
}

export async function openPglite(dataDir: string): Promise<Database> {
  const dir = path.join(dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  const release = takeLock(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(dir, { extensions: { btree_gist } });
  } catch (err) {
    release();
    throw err;
  }
  // A json or text parameter given as bytes (Uint8Array) goes to the engine as it is, in binary format
  // (for these types, their UTF-8 text): PGlite's JavaScript would otherwise measure a string of megabytes
  // character by character on its way in (the import's documents, store/import/write-prepared.ts).
  const passBytes = (oid: number) => {
    const usual = db.serializers[oid];
    return (v: unknown) => (v instanceof Uint8Array ? v : usual ? usual(v) : String(v)) as string;
  };
  // and so do text[] (1009), int4[] (1007), int8[] (1016), boolean[] (1000) and timestamptz[] (1185)
  // parameters given in their binary form (store/binary-arrays.ts)
  const bytes: SerializerOptions = Object.fromEntries(
    [types.JSON, types.TEXT, 1009, 1007, 1016, 1000, 1185].map((oid) => [oid, passBytes(oid)]),
  );
  const run = async <T>(
    q: { query: PGlite['query'] },
    sql: string,
    params?: unknown[],
  ): Promise<QueryResult<T>> => {
    const opts = params?.some((p) => p instanceof Uint8Array) ? { serializers: bytes } : undefined;
    const r = await q.query<T>(sql, params as unknown[], opts);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  };
  return {
    kind: 'pglite',
    query: <T>(sql: string, params?: unknown[]) => run<T>(db, sql, params),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction((tx) =>
        fn({ query: <U>(sql: string, params?: unknown[]) => run<U>(tx, sql, params) }),
      );
    },
    async close() {
      await db.close();
      release();
    },
  };
}
