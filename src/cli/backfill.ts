// The backfill commands of upgraded databases, each with a progress bar and safe to stop and run again:
// `chartroom index-patient-keys` gives token index rows written before migration 019 their patient
// (store/index-patient-keys.ts; until it has run, patient searches by code take the slower path), and
// `chartroom index-ucum` gives quantities indexed before UCUM units were converted their canonical index
// rows (store/index-existing-ucum.ts).
import type { Database } from '../platform/db/database.js';
import { openServices } from '../server.js';
import { indexExistingUcum } from '../store/index-existing-ucum.js';
import { indexPatientKeys } from '../store/index-patient-keys.js';
import { ProgressBar } from './progress-bar.js';

interface Walked {
  scanned: number;
  total: number;
}

/** Runs one backfill over the database with its progress bar, then prints its summary. */
async function backfill<P extends Walked>(
  title: string,
  run: (db: Database, onProgress: (p: P) => void) => Promise<P>,
  detail: (p: P) => string,
  summary: (p: P) => string,
  quiet: boolean,
): Promise<number> {
  const { db } = await openServices();
  const bar = new ProgressBar(title);
  try {
    const p = await run(db, (p) => {
      if (!quiet) bar.update(p.scanned, p.total, detail(p));
    });
    if (!quiet) {
      bar.update(p.scanned, p.total, detail(p), true);
      bar.done();
    }
    process.stdout.write(`${summary(p)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

const n = (x: number) => x.toLocaleString('en-US');

export function indexPatientKeysCommand(opts: { quiet?: boolean } = {}): Promise<number> {
  return backfill(
    'index patient keys',
    indexPatientKeys,
    (p) => `${p.scanned}/${p.total} resources, ${p.rows} token rows`,
    (p) =>
      `Gave ${n(p.rows)} token index row(s) of ${n(p.scanned)} resource(s) their patient; patient searches by code now use the patient index.`,
    opts.quiet ?? false,
  );
}

export function indexUcumCommand(opts: { quiet?: boolean } = {}): Promise<number> {
  return backfill(
    'index UCUM quantities',
    indexExistingUcum,
    (p) => `${p.scanned}/${p.total} resources, ${p.added} canonical rows added`,
    (p) =>
      `Added ${n(p.added)} canonical UCUM index row(s) over ${n(p.scanned)} resource(s) with UCUM quantities.`,
    opts.quiet ?? false,
  );
}
