// `chartroom security seal-ssns`: seals the Social Security numbers stored before they were encrypted at
// rest (store/seal-existing-ssns.ts), with a progress bar; safe to stop and run again.
import { openServices } from '../server.js';
import { sealExistingSsns } from '../store/seal-existing-ssns.js';
import { ProgressBar } from './progress-bar.js';

export async function securityCommand(args: string[], opts: { quiet?: boolean } = {}): Promise<number> {
  if (args[0] !== 'seal-ssns') throw new Error('usage: chartroom security seal-ssns');
  const { db, repo } = await openServices();
  const bar = new ProgressBar('seal SSNs');
  try {
    const p = await sealExistingSsns(db, repo.params, repo.ssn, (p) => {
      if (!opts.quiet) bar.update(p.scanned, p.total, `${p.scanned}/${p.total} versions, ${p.sealed} sealed`);
    });
    if (!opts.quiet) {
      bar.update(p.scanned, p.total, `${p.scanned}/${p.total} versions, ${p.sealed} sealed`, true);
      bar.done();
    }
    process.stdout.write(
      `Sealed the Social Security numbers of ${p.sealed.toLocaleString('en-US')} stored version(s); ${(p.scanned - p.sealed).toLocaleString('en-US')} other(s) with an SSN were sealed already.\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}
