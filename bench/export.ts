// Bulk export and Patient/$everything on PostgreSQL, with the Synthea corpus (125 bundles) imported by the
// CLI into a fresh database. Export: system-level $export of everything to NDJSON, kick-off to manifest,
// against the bare floor measured in the same run: COPY of the same current documents (the same join)
// TO STDOUT through pg-copy-streams into one file. $everything: first page (default _count=100) for the
// patient with the most resources, against a read by id of the same patient under the same load.
// Usage: node dist/bench/export.js [--runs 3] [--seconds 10]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import {
  BENCH_SECRET_KEY,
  corpusDir,
  fmt,
  freshPgDatabase,
  numberOption,
  repoRoot,
  saveResult,
  startBenchServer,
  stats,
  vm,
} from './support.js';

const runs = numberOption('--runs', 3);
const seconds = numberOption('--seconds', 10);

const databaseUrl = await freshPgDatabase('bench_export');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  CHARTROOM_DATA_DIR: dataDir,
  CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
  CHARTROOM_ADMIN_PASSWORD: 'bench password 123',
  CHARTROOM_MFA: 'off', // sign-in is not what is measured
  CHARTROOM_PORT: '18090',
};
await new Promise((resolve, reject) =>
  spawn(process.execPath, [path.join(repoRoot, 'dist/src/cli/main.js'), 'import', '--quiet', corpusDir], {
    env,
    stdio: 'inherit',
  }).on('exit', (c) => (c === 0 ? resolve(0) : reject(new Error('import failed')))),
);
const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
await db.query('ANALYZE');
const { server, base, token } = await startBenchServer(env);
const auth = { authorization: `Bearer ${token}` };
const memStart = vm(server.pid as number);

// --- export ------------------------------------------------------------------------------------
async function exportOnce(): Promise<{
  resources: number;
  seconds: number;
  serverSeconds: number;
  files: number;
}> {
  const t0 = performance.now();
  const k = await fetch(`${base}/fhir/R4/$export`, { headers: { ...auth, prefer: 'respond-async' } });
  if (k.status !== 202) throw new Error(`kick-off: ${k.status} ${await k.text()}`);
  const status = k.headers.get('content-location') as string;
  for (;;) {
    const r = await fetch(status, { headers: auth });
    if (r.status === 200) {
      const wall = (performance.now() - t0) / 1000;
      const m = (await r.json()) as { output: { count: number }[] };
      const id = status.split('/').pop();
      const job = await db.query<{ s: number }>(
        'SELECT extract(epoch FROM finished_at - transaction_time)::float8 AS s FROM export_job WHERE id = $1',
        [id],
      );
      await fetch(status, { method: 'DELETE', headers: auth }); // removes the files
      return {
        resources: m.output.reduce((a, o) => a + o.count, 0),
        seconds: wall,
        serverSeconds: job.rows[0].s,
        files: m.output.length,
      };
    }
    if (r.status !== 202) throw new Error(`status: ${r.status} ${await r.text()}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** The floor: the same current documents streamed out of PostgreSQL by COPY into one file. */
async function copyFloor(): Promise<{ rows: number; seconds: number }> {
  const file = path.join(dataDir, 'copy-floor.txt');
  const client = await db.connect();
  try {
    const t0 = performance.now();
    await pipeline(
      client.query(
        copyTo(
          'COPY (SELECT v.content FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version WHERE NOT r.deleted ORDER BY r.rid) TO STDOUT',
        ),
      ),
      fs.createWriteStream(file),
    );
    const secs = (performance.now() - t0) / 1000;
    const rows = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE NOT deleted'))
      .rows[0].n;
    fs.rmSync(file);
    return { rows, seconds: secs };
  } finally {
    client.release();
  }
}

await exportOnce(); // warm-up (page cache, JIT)
const ex: Awaited<ReturnType<typeof exportOnce>>[] = [];
const floor: Awaited<ReturnType<typeof copyFloor>>[] = [];
for (let i = 0; i < runs; i++) {
  floor.push(await copyFloor());
  ex.push(await exportOnce());
}
const memAfterExport = vm(server.pid as number);

// --- $everything ---------------------------------------------------------------------------------
const top = (
  await db.query<{ patient: string; n: number }>(
    'SELECT patient, count(*)::int AS n FROM resource_compartment GROUP BY patient ORDER BY 2 DESC LIMIT 1',
  )
).rows[0];
const firstPage = await fetch(`${base}/fhir/R4/Patient/${top.patient}/$everything`, { headers: auth });
const firstEntries = ((await firstPage.json()) as { entry: unknown[] }).entry.length;

async function load(p: string, connections: number) {
  const r = await autocannon({ url: `${base}${p}`, connections, duration: seconds, headers: auth });
  if (r.non2xx) throw new Error(`${r.non2xx} non-2xx responses for ${p}`);
  return { rps: r.requests.average, p50: r.latency.p50, p97_5: r.latency.p97_5, p99: r.latency.p99 };
}
const everything: Record<number, Awaited<ReturnType<typeof load>>[]> = { 1: [], 10: [] };
const readSame: typeof everything = { 1: [], 10: [] };
for (let i = 0; i < runs; i++) {
  for (const c of [1, 10]) {
    everything[c].push(await load(`/fhir/R4/Patient/${top.patient}/$everything`, c));
    readSame[c].push(await load(`/fhir/R4/Patient/${top.patient}`, c));
  }
}
const memEnd = vm(server.pid as number);
server.kill('SIGTERM');
await db.end();
fs.rmSync(dataDir, { recursive: true, force: true });

const rate = ex.map((e) => e.resources / e.seconds);
const serverRate = ex.map((e) => e.resources / e.serverSeconds);
const floorRate = floor.map((f) => f.rows / f.seconds);
const lat = (xs: Awaited<ReturnType<typeof load>>[]) => ({
  rps: stats(xs.map((x) => x.rps)),
  p50ms: stats(xs.map((x) => x.p50)),
  p97_5ms: stats(xs.map((x) => x.p97_5)),
  p99ms: stats(xs.map((x) => x.p99)),
});
const out = {
  note: 'server, PostgreSQL and the client share the 2 cores; export measured from kick-off to the 200 manifest',
  export: {
    resources: ex[0].resources,
    files: ex[0].files,
    resourcesPerSecond: stats(rate),
    resourcesPerSecondServerSide: stats(serverRate),
    seconds: stats(ex.map((e) => e.seconds)),
  },
  baselineCopyToFile: { rows: floor[0].rows, rowsPerSecond: stats(floorRate) },
  ratioToCopy: stats(rate).median / stats(floorRate).median,
  everything: {
    patient: top.patient,
    compartmentResources: top.n,
    firstPageEntries: firstEntries,
    oneConnection: lat(everything[1]),
    tenConnections: lat(everything[10]),
  },
  baselineReadSamePatient: { oneConnection: lat(readSame[1]), tenConnections: lat(readSame[10]) },
  serverMemory: { atStart: memStart, afterExports: memAfterExport, atEnd: memEnd },
};
const file = saveResult('export', out);
const e1 = out.everything.oneConnection;
const e10 = out.everything.tenConnections;
process.stdout.write(
  `system export of ${fmt(out.export.resources)} resources into ${out.export.files} files, ${runs} runs (median, min-max):\n` +
    `  Chartroom $export: ${fmt(stats(rate).median)} resources/s (${fmt(stats(rate).min)}-${fmt(stats(rate).max)}); server side ${fmt(stats(serverRate).median)}/s\n` +
    `  COPY of the same documents to a file: ${fmt(stats(floorRate).median)} rows/s; ratio ${out.ratioToCopy.toFixed(2)}\n` +
    `$everything, patient with ${fmt(top.n)} compartment resources, first page ${firstEntries} entries, ${seconds}s x ${runs}:\n` +
    `  1 connection: p50 ${e1.p50ms.median} ms, p99 ${e1.p99ms.median} ms, ${fmt(e1.rps.median)} req/s (read by id: p50 ${out.baselineReadSamePatient.oneConnection.p50ms.median} ms)\n` +
    `  10 connections: p50 ${e10.p50ms.median} ms, p99 ${e10.p99ms.median} ms, ${fmt(e10.rps.median)} req/s (read by id: p50 ${out.baselineReadSamePatient.tenConnections.p50ms.median} ms)\n` +
    `server RSS: start ${memStart.rssMiB} MiB, after exports ${memAfterExport.rssMiB} MiB (peak ${memAfterExport.hwmMiB}), end ${memEnd.rssMiB} MiB\n` +
    `written to ${file}\n`,
);
