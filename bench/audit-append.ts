// The audit trail's batched append on PostgreSQL (store/audit-log.ts `appendAudit`, what the audit writer
// runs every 50 ms under load): CPU of the PostgreSQL backend and of this process per entry, and wall time
// per batch, on a trail already holding --prefill entries (the check for stored ids probes a large index).
// Each run appends --batches batches of --rows entries shaped like a read's, in two modes: as the writer's
// first write of a batch (no check for stored ids) and as its retry after a failure (with the check).
// With --baseline-root DIR, another build's appendAudit (e.g. `git archive` of an earlier commit, built)
// runs in turn on the same trail, with the check, as earlier writers called it on every batch.
// Usage: node dist/bench/audit-append.js [--runs 3] [--batches 100] [--rows 270] [--prefill 500000]
//   [--baseline-root DIR] [--label NAME]
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Database } from '../src/platform/db/database.js';
import { migrate } from '../src/platform/db/migrate.js';
import { openPostgres } from '../src/platform/db/postgres.js';
import type { AuditRow } from '../src/store/audit-log.js';
import {
  cpuMsOf,
  fmt,
  freshPgDatabase,
  numberOption,
  postgresMemory,
  repoRoot,
  saveResult,
  stats,
} from './support.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = numberOption('--runs', 3);
const batches = numberOption('--batches', 100);
const rowsPerBatch = numberOption('--rows', 270);
const prefill = numberOption('--prefill', 500_000);
const baselineRoot = option('--baseline-root');

type Append = (db: Database, rows: AuditRow[], opts?: { skipStored?: boolean }) => Promise<number>;
const load = async (root: string): Promise<Append> =>
  (await import(pathToFileURL(path.join(root, 'dist/src/store/audit-log.js')).href)).appendAudit;

const url = await freshPgDatabase('bench_audit');
const setup = await openPostgres(url, 1);
await migrate(setup);
// The trail's earlier entries: a read's AuditEvent size (about 850 bytes), random ids (the chain is not
// checked here).
await setup.query(
  `INSERT INTO audit_event (recorded, username, action, outcome, patients, content, prev_hash, hash, event_id)
   SELECT now(), 'admin', 'read', '200', ARRAY['p' || (i % 1000)], repeat('x', 850), md5(i::text), md5(i::text), gen_random_uuid()::text
     FROM generate_series(1, $1) i`,
  [prefill],
);
await setup.query('VACUUM ANALYZE audit_event');
const settings = await postgresMemory(setup);
await setup.close();

// Entries shaped like a read's: one patient, an AuditEvent of ~850 bytes naming it.
function batch(): AuditRow[] {
  return Array.from({ length: rowsPerBatch }, () => {
    const id = randomUUID();
    const patient = randomUUID();
    return {
      id,
      username: 'admin',
      action: 'read',
      outcome: '200',
      patients: [patient],
      content: JSON.stringify({
        resourceType: 'AuditEvent',
        id,
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
        subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
        action: 'R',
        recorded: new Date().toISOString(),
        outcome: '0',
        agent: [
          { who: { identifier: { value: 'admin' } }, requestor: true, network: { address: '127.0.0.1' } },
        ],
        source: { observer: { display: 'Chartroom' } },
        entity: [
          { what: { reference: `Observation/${randomUUID()}` } },
          { what: { reference: `Patient/${patient}` }, role: { code: '1', display: 'Patient' } },
          { description: `/fhir/R4/Observation/${id} -> 200` },
        ],
      }),
    };
  });
}

async function measure(append: Append, skipStored: boolean) {
  const db = await openPostgres(url, 1);
  try {
    const pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const work = Array.from({ length: batches }, batch); // built before the clock starts
    const [pg0, node0, t0] = [cpuMsOf(pid), process.cpuUsage(), performance.now()];
    let appended = 0;
    for (const rows of work) appended += await append(db, rows, { skipStored });
    const wallMs = performance.now() - t0;
    const node = process.cpuUsage(node0);
    if (appended !== batches * rowsPerBatch) throw new Error(`appended ${appended} entries`);
    const entries = batches * rowsPerBatch;
    return {
      postgresCpuUsPerEntry: ((cpuMsOf(pid) - pg0) * 1000) / entries,
      nodeCpuUsPerEntry: (node.user + node.system) / entries,
      wallMsPerBatch: wallMs / batches,
    };
  } finally {
    await db.close();
  }
}

const modes: { name: string; append: Append; skipStored: boolean }[] = [
  { name: 'this build, first write (no check)', append: await load(repoRoot), skipStored: false },
  { name: 'this build, retry (check for stored ids)', append: await load(repoRoot), skipStored: true },
  ...(baselineRoot
    ? [
        {
          name: 'baseline build, with the check',
          append: await load(path.resolve(baselineRoot)),
          skipStored: true,
        },
      ]
    : []),
];
const results = new Map<string, Awaited<ReturnType<typeof measure>>[]>(modes.map((m) => [m.name, []]));
for (let k = 0; k < runs; k++)
  // the order turns every run, so a drift of the machine's speed hits each mode alike
  for (const m of [...modes.slice(k % modes.length), ...modes.slice(0, k % modes.length)])
    results.get(m.name)?.push(await measure(m.append, m.skipStored));

const summary = Object.fromEntries(
  [...results].map(([name, xs]) => [
    name,
    {
      postgresCpuUsPerEntry: stats(xs.map((x) => x.postgresCpuUsPerEntry)),
      nodeCpuUsPerEntry: stats(xs.map((x) => x.nodeCpuUsPerEntry)),
      wallMsPerBatch: stats(xs.map((x) => x.wallMsPerBatch)),
      runs: xs,
    },
  ]),
);
console.log(
  `audit append, ${batches} batches x ${rowsPerBatch} entries on a trail of ${fmt(prefill)}, ${runs} runs (medians, min-max); PostgreSQL ${settings.summary}:`,
);
for (const [name, s] of Object.entries(summary))
  console.log(
    `  ${name.padEnd(44)} PostgreSQL CPU ${s.postgresCpuUsPerEntry.median.toFixed(1)} µs/entry (${s.postgresCpuUsPerEntry.min.toFixed(1)}-${s.postgresCpuUsPerEntry.max.toFixed(1)}), node ${s.nodeCpuUsPerEntry.median.toFixed(1)} µs, ${s.wallMsPerBatch.median.toFixed(1)} ms per batch`,
  );
const file = saveResult(
  'audit-append',
  { batches, rowsPerBatch, prefill, baselineRoot, postgres: settings, ...summary },
  option('--label'),
);
console.log(`saved ${file}`);
process.exit(0);
