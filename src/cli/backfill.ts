// The backfill commands of upgraded databases, each with a progress bar and safe to stop and run again:
// `chartroom index-patient-keys` gives token index rows written before migration 019 their patient
// (store/index-patient-keys.ts; until it has run, patient searches by code take the slower path),
// `chartroom index-ucum` gives quantities indexed before UCUM units were converted their canonical index
// rows (store/index-existing-ucum.ts), and `chartroom reindex` rebuilds the index rows of stored resources
// from their current version (store/reindex.ts).
import { isKnownResourceType, loadDefinitions } from '../fhir/definitions.js';
import { openServices, type Services } from '../server.js';
import { indexExistingUcum } from '../store/index-existing-ucum.js';
import { indexPatientKeys } from '../store/index-patient-keys.js';
import { reindexResources } from '../store/reindex.js';
import { ProgressBar } from './progress-bar.js';

interface Walked {
  scanned: number;
  total: number;
}

/** Runs one backfill over the database with its progress bar, then prints its summary. */
async function backfill<P extends Walked>(
  title: string,
  run: (services: Services, onProgress: (p: P) => void) => Promise<P>,
  detail: (p: P) => string,
  summary: (p: P) => string,
  quiet: boolean,
): Promise<number> {
  const services = await openServices();
  const bar = new ProgressBar(title);
  try {
    const p = await run(services, (p) => {
      if (!quiet) bar.update(p.scanned, p.total, detail(p));
    });
    if (!quiet) {
      bar.update(p.scanned, p.total, detail(p), true);
      bar.done();
    }
    process.stdout.write(`${summary(p)}\n`);
    return 0;
  } finally {
    await services.db.close();
  }
}

const n = (x: number) => x.toLocaleString('en-US');

export function indexPatientKeysCommand(opts: { quiet?: boolean } = {}): Promise<number> {
  return backfill<Awaited<ReturnType<typeof indexPatientKeys>>>(
    'index patient keys',
    (s, onProgress) => indexPatientKeys(s.db, onProgress),
    (p) => `${p.scanned}/${p.total} resources, ${p.rows} token rows`,
    (p) =>
      `Gave ${n(p.rows)} token index row(s) of ${n(p.scanned)} resource(s) their patient; patient searches by code now use the patient index.`,
    opts.quiet ?? false,
  );
}

export function indexUcumCommand(opts: { quiet?: boolean } = {}): Promise<number> {
  return backfill<Awaited<ReturnType<typeof indexExistingUcum>>>(
    'index UCUM quantities',
    (s, onProgress) => indexExistingUcum(s.db, onProgress),
    (p) => `${p.scanned}/${p.total} resources, ${p.added} canonical rows added`,
    (p) =>
      `Added ${n(p.added)} canonical UCUM index row(s) over ${n(p.scanned)} resource(s) with UCUM quantities.`,
    opts.quiet ?? false,
  );
}

export function reindexCommand(types: string[], opts: { quiet?: boolean } = {}): Promise<number> {
  loadDefinitions();
  const unknown = types.filter((t) => !isKnownResourceType(t));
  if (unknown.length)
    throw new Error(
      `reindex: ${unknown.join(', ')} is not an R4 resource type (usage: chartroom reindex [Type...])`,
    );
  return backfill<Awaited<ReturnType<typeof reindexResources>>>(
    types.length ? `reindex ${types.join(', ')}` : 'reindex',
    (s, onProgress) => reindexResources(s.db, s.repo.params, s.repo.ssn, types, onProgress),
    (p) => `${p.scanned}/${p.total} resources`,
    (p) =>
      `Rebuilt the search index rows of ${n(p.scanned)} resource(s)${types.length ? ` (${types.join(', ')})` : ''}; ${n(p.moved)} changed patient compartments.`,
    opts.quiet ?? false,
  );
}
