// Runs `chartroom import` as its own process on a test's storage, and opens that storage's database.
import { spawnSync } from 'node:child_process';
import { type Database, openDatabase } from '../../src/platform/db/database.js';
import { cliPath } from './corpus.js';
import { ADMIN_PASSWORD, type TestStorage } from './test-server.js';

/** The environment of the CLI on this storage (the administrator gets the test servers' password). */
export function cliEnv(st: TestStorage): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CHARTROOM_DATA_DIR: st.dataDir,
    DATABASE_URL: st.databaseUrl ?? '',
    CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
}

export function runImportCli(
  st: TestStorage,
  args: string[],
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [cliPath, 'import', ...args], { env: cliEnv(st), encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export async function withDb<T>(st: TestStorage, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: st.databaseUrl, dataDir: st.dataDir });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
