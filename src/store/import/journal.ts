// SQL for the import journal: which files (by content hash) have been imported completely.
import type { Queryable } from '../../platform/db/database.js';

export async function isImported(db: Queryable, sha256: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM import_file WHERE sha256 = $1', [sha256]);
  return r.rows.length > 0;
}

export async function markImported(
  db: Queryable,
  sha256: string,
  name: string,
  resources: number,
): Promise<void> {
  await db.query(
    'INSERT INTO import_file (sha256, name, resources) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO UPDATE SET finished_at = now(), resources = EXCLUDED.resources',
    [sha256, name, resources],
  );
}
