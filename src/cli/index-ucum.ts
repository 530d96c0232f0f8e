// `chartroom index-ucum`: gives quantities indexed before UCUM units were converted their canonical
// index rows (store/index-existing-ucum.ts), with a progress bar; safe to stop and run again.
import { openServices } from '../server.js';
import { indexExistingUcum } from '../store/index-existing-ucum.js';
import { ProgressBar } from './progress-bar.js';

export async function indexUcumCommand(opts: { quiet?: boolean } = {}): Promise<number> {
  const { db } = await openServices();
  const bar = new ProgressBar('index UCUM quantities');
  const detail = (p: { scanned: number; total: number; added: number }) =>
    `${p.scanned}/${p.total} resources, ${p.added} canonical rows added`;
  try {
    const p = await indexExistingUcum(db, (p) => {
      if (!opts.quiet) bar.update(p.scanned, p.total, detail(p));
    });
    if (!opts.quiet) {
      bar.update(p.scanned, p.total, detail(p), true);
      bar.done();
    }
    process.stdout.write(
      `Added ${p.added.toLocaleString('en-US')} canonical UCUM index row(s) over ${p.scanned.toLocaleString('en-US')} resource(s) with UCUM quantities.\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}
