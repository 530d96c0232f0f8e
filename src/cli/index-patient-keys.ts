// `chartroom index-patient-keys`: gives token index rows written before migration 019 their patient
// (store/index-patient-keys.ts), with a progress bar; safe to stop and run again. Until it has run on an
// upgraded database, patient searches by code take the slower path.
import { openServices } from '../server.js';
import { indexPatientKeys, type PatientKeyProgress } from '../store/index-patient-keys.js';
import { ProgressBar } from './progress-bar.js';

export async function indexPatientKeysCommand(opts: { quiet?: boolean } = {}): Promise<number> {
  const { db } = await openServices();
  const bar = new ProgressBar('index patient keys');
  const detail = (p: PatientKeyProgress) => `${p.scanned}/${p.total} resources, ${p.rows} token rows`;
  try {
    const p = await indexPatientKeys(db, (p) => {
      if (!opts.quiet) bar.update(p.scanned, p.total, detail(p));
    });
    if (!opts.quiet) {
      bar.update(p.scanned, p.total, detail(p), true);
      bar.done();
    }
    process.stdout.write(
      `Gave ${p.rows.toLocaleString('en-US')} token index row(s) of ${p.scanned.toLocaleString('en-US')} resource(s) their patient; patient searches by code now use the patient index.\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}
