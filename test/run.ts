// The whole test suite: every test file on the embedded database (PGlite), then the database-backed
// ones again on PostgreSQL. Run with `npm test` (which compiles first).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

function find(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? find(path.join(dir, e.name))
        : e.name.endsWith('.test.js')
          ? [path.join(dir, e.name)]
          : [],
    )
    .sort();
}

const all = find(here).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
// Folders whose tests need no database, and the browser tests (e2e/: they test the page, not the
// database), run once; the others run on both databases.
const dbFree = (f: string) => /^(fhir|terminology|e2e)[/\\]/.test(path.relative(here, f));
const passes: { db: string; files: string[] }[] = [
  { db: 'pglite', files: all },
  { db: 'postgres', files: all.filter((f) => !dbFree(f)) },
];

// One code-set cache for the whole run (each test server has its own data folder): built by the first file
// that loads the code sets, read by the others.
const terminologyCache =
  process.env.CHARTROOM_TERMINOLOGY_CACHE ?? path.join(os.tmpdir(), 'chartroom-test-terminology-cache');

let failed = false;
for (const pass of passes) {
  if (pass.files.length === 0) continue;
  process.stdout.write(`\n=== ${pass.files.length} test files on ${pass.db} ===\n`);
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...pass.files], {
    stdio: 'inherit',
    env: { ...process.env, CHARTROOM_TEST_DB: pass.db, CHARTROOM_TERMINOLOGY_CACHE: terminologyCache },
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
