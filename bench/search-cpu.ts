// Where a request's CPU goes: the server process, PostgreSQL's backends and the load generator, in CPU
// milliseconds per request, for the read by id and each search shape of bench/search-shapes.ts on the
// large dataset of bench/search.ts. CPU time, unlike latency, barely moves when other work shares the
// machine, so this tells what to make cheaper even on a busy machine. Run after bench/search.js has
// loaded the dataset (it reuses it).
// Usage: node dist/bench/search-cpu.js [--resources 1000000] [--client wrk|node] [--seconds 5] [--requests 2000]
//   [--connections 10] [--runs 3] (wrk, from Debian, is the load generator when installed; --requests is for node)
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { datasetDefaults, ensureDataset, prewarm, startDatasetServer } from './search-dataset.js';
import { runLoad, type Target } from './search-load.js';
import { SEARCH_SHAPES } from './search-shapes.js';
import { numberOption, saveResult, stats } from './support.js';
import { runWrk, wrkAvailable } from './wrk-load.js';

const args = process.argv.slice(2);
const requests = numberOption('--requests', 2000);
const connections = numberOption('--connections', 10);
const runs = numberOption('--runs', 3);
/** wrk when installed (its own CPU is then counted in loadGeneratorCpuMsPerRequest via /proc), else Node.js. */
const useWrk = !args.includes('--client') ? wrkAvailable() : args[args.indexOf('--client') + 1] === 'wrk';
const seconds = numberOption('--seconds', 5);
const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** utime + stime of a process, ms. */
function cpuOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0; // the process ended
  }
}

/** CPU of the PostgreSQL backends serving the bench database (other databases' work is left out). */
async function postgresCpu(admin: pg.Pool): Promise<Map<number, number>> {
  const pids = (
    await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])
  ).rows.map((r) => r.pid);
  return new Map(pids.map((p) => [p, cpuOf(p)]));
}

/** CPU used between two readings; a backend that started in between counts from zero. */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** This process's CPU and that of its finished children (wrk), ms. */
const selfCpu = () => {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
};

const dataset = await ensureDataset(datasetDefaults(args));
const database = dataset.database;
const { server, base, token } = await startDatasetServer(dataset, 18091, 'bench-search-cpu');
const fhir: Target = { base: `${base}/fhir/R4`, token };
const pool = new pg.Pool({ connectionString: dataset.databaseUrl, max: 2 });
const prewarmed = await prewarm(pool);
const patientIds = (
  await pool.query<{ id: string }>(
    "SELECT id FROM resource WHERE type = 'Patient' AND NOT deleted ORDER BY random() LIMIT 400",
  )
).rows.map((r) => `/Patient/${r.id}`);
const shapes: { name: string; paths: string[] }[] = [
  { name: 'read Patient by id', paths: patientIds },
  ...(await Promise.all(
    SEARCH_SHAPES.map(async (s) => ({ name: s.name, paths: await s.samples(pool, 400) })),
  )),
];

const rows: Record<string, unknown>[] = [];
for (const shape of shapes) {
  const load = (offset: number, n: number) =>
    useWrk
      ? runWrk(fhir, shape.paths, { connections, seconds: n === 200 ? 2 : seconds, offset })
      : runLoad(fhir, shape.paths, { connections, requests: n, offset });
  await load(0, 200); // warm-up
  const per: { server: number[]; postgres: number[]; client: number[]; rps: number[]; p95: number[] } = {
    server: [],
    postgres: [],
    client: [],
    rps: [],
    p95: [],
  };
  for (let i = 0; i < runs; i++) {
    const [s0, p0, c0] = [cpuOf(server.pid as number), await postgresCpu(pool), selfCpu()];
    const run = await load(i * 97, requests);
    const [s1, p1, c1] = [cpuOf(server.pid as number), await postgresCpu(pool), selfCpu()];
    per.server.push((s1 - s0) / run.requests);
    per.postgres.push(cpuBetween(p0, p1) / run.requests);
    per.client.push((c1 - c0) / run.requests);
    per.rps.push(run.rps);
    per.p95.push(run.p95);
  }
  const row = {
    shape: shape.name,
    serverCpuMsPerRequest: stats(per.server),
    postgresCpuMsPerRequest: stats(per.postgres),
    loadGeneratorCpuMsPerRequest: stats(per.client),
    rps: stats(per.rps),
    p95ms: stats(per.p95),
  };
  rows.push(row);
  process.stdout.write(
    `${shape.name.padEnd(40)} server ${row.serverCpuMsPerRequest.median.toFixed(3)} ms  postgres ${row.postgresCpuMsPerRequest.median.toFixed(3)} ms  load generator ${row.loadGeneratorCpuMsPerRequest.median.toFixed(3)} ms CPU per request; ${Math.round(row.rps.median)}/s, p95 ${row.p95ms.median.toFixed(1)} ms\n`,
  );
}
server.kill();
await pool.end();
const file = saveResult('search-cpu', {
  loadavgAtStart: os.loadavg(),
  connections,
  loadGenerator: useWrk ? 'wrk' : 'node',
  postgres: { prewarmed },
  requestsPerRun: useWrk ? undefined : requests,
  secondsPerRun: useWrk ? seconds : undefined,
  runs,
  dataset: { database: dataset.database, resources: dataset.import.resources },
  rows,
});
process.stdout.write(`saved ${file}\n`);
