// Read by id over HTTP on PostgreSQL, 50 connections: Chartroom (token check, audit) against a bare
// Fastify route running the same SELECT with no auth or audit, measured in the same run. Besides
// requests/s and latency, each run reports the CPU time per request of the server process and of the
// PostgreSQL backends (from /proc), which moves far less than throughput when the machine is busy.
// With --baseline-env NAME=VALUE (repeatable), the baseline is this build (or --baseline-root's) started
// with those variables set, e.g. another CHARTROOM_AUDIT_FLUSH_MS.
// With --baseline-root DIR, a second Chartroom build (another commit's checkout, built, e.g. from
// `git archive`) serves the same database and is measured in turn with this one (A/B alternated).
// Each server first gets --warmup seconds of the same load, not counted (JIT, connections, caches).
// Usage: node dist/bench/read.js [--runs 3] [--seconds 10] [--warmup 5] [--connections 50] [--client wrk|autocannon]
//   [--baseline-root DIR] [--baseline-env NAME=VALUE ...] [--type Patient] [--label NAME]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import {
  BENCH_SECRET_KEY,
  corpusDir,
  cpuMsOf,
  fmt,
  freshPgDatabase,
  numberOption,
  postgresMemory,
  repoRoot,
  saveResult,
  startBenchServer,
  stats,
  vm,
} from './support.js';
import { runWrk, wrkAvailable } from './wrk-load.js';

const args = process.argv.slice(2);
const loadavgAtStart = os.loadavg();
const runs = numberOption('--runs', 3);
const seconds = numberOption('--seconds', 10);
const warmup = numberOption('--warmup', 5);
const connections = numberOption('--connections', 50);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const baselineEnv = Object.fromEntries(
  args.flatMap((a, k) => (a === '--baseline-env' ? [args[k + 1].split(/=(.*)/s).slice(0, 2)] : [])),
) as Record<string, string>;
const baselineRoot = option('--baseline-root') ?? (Object.keys(baselineEnv).length ? repoRoot : undefined);
const label = option('--label');

const dbName = 'bench_read';
const url = new URL(await freshPgDatabase(dbName));
const databaseUrl = url.toString();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-read-'));
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  CHARTROOM_DATA_DIR: dataDir,
  CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
  CHARTROOM_ADMIN_PASSWORD: 'bench password 123',
  CHARTROOM_MFA: 'off', // sign-in is not what is measured
  CHARTROOM_PORT: '18080',
};
const cli = path.join(repoRoot, 'dist/src/cli/main.js');

await new Promise((resolve, reject) =>
  spawn(process.execPath, [cli, 'import', '--quiet', corpusDir], { env, stdio: 'inherit' }).on('exit', (c) =>
    c === 0 ? resolve(0) : reject(new Error('import failed')),
  ),
);

const { server, base, token } = await startBenchServer(env);
const baseline = baselineRoot
  ? await startBenchServer({ ...env, ...baselineEnv, CHARTROOM_PORT: '18082' }, path.resolve(baselineRoot))
  : undefined;

const db = new pg.Pool({ connectionString: databaseUrl, max: 10 });
// The import's tables are vacuumed and analysed now, not by autovacuum in the middle of the first read
// run, and their dirty pages written out now, not by a checkpoint in the middle of the runs.
await db.query('VACUUM ANALYZE');
await db.query('CHECKPOINT');
const postgresSettings = await postgresMemory(db);
// --type Patient reads only that type (issue 2 names Patient reads; every Synthea Patient holds a sealed SSN).
const onlyType = option('--type');
const ids = (
  await db.query<{ type: string; id: string }>(
    'SELECT type, id FROM resource WHERE NOT deleted AND ($1::text IS NULL OR type = $1) ORDER BY random() LIMIT 2000',
    [onlyType ?? null],
  )
).rows;

// The baseline: the same lookup with nothing around it.
const bare = Fastify();
bare.get('/fhir/R4/:type/:id', async (req, reply) => {
  const { type, id } = req.params as { type: string; id: string };
  const r = await db.query(
    'SELECT v.content FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version WHERE r.type = $1 AND r.id = $2',
    [type, id],
  );
  return reply.type('application/fhir+json').send(r.rows[0].content);
});
await bare.listen({ port: 18081, host: '127.0.0.1' });

/** wrk (Debian's package, in C) by default when installed: autocannon runs in this process, beside the bare route. */
const client = args.includes('--client')
  ? args[args.indexOf('--client') + 1]
  : wrkAvailable()
    ? 'wrk'
    : 'autocannon';
const paths = ids.map((r) => `/${r.type}/${r.id}`);

async function generate(target: string, auth: boolean, seconds: number) {
  if (client === 'wrk') {
    const r = await runWrk({ base: `${target}/fhir/R4`, token: auth ? token : undefined }, paths, {
      connections,
      seconds,
    });
    return { requests: r.requests, rps: r.rps, p50: r.p50, p95: r.p95, p99: r.p99 };
  }
  let i = 0;
  const result = await autocannon({
    url: target,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const r = ids[i++ % ids.length];
          return {
            ...req,
            path: `/fhir/R4/${r.type}/${r.id}`,
            headers: auth ? { authorization: `Bearer ${token}` } : {},
          };
        },
      },
    ],
  });
  if (result.non2xx) throw new Error(`${result.non2xx} non-2xx responses`);
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p95: result.latency.p97_5, // autocannon reports p97.5, not p95
    p99: result.latency.p99,
  };
}

/** CPU of the PostgreSQL backends of the bench database, ms, by pid. */
async function postgresCpu(): Promise<Map<number, number>> {
  const pids = (
    await db.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    )
  ).rows.map((r) => r.pid);
  return new Map(pids.map((p) => [p, cpuMsOf(p)]));
}
const cpuBetween = (a: Map<number, number>, b: Map<number, number>) =>
  [...b].reduce((sum, [pid, ms]) => sum + ms - (a.get(pid) ?? 0), 0);
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * One run against a target, with the CPU per request of the process serving it (for the bare route this
 * process, which also runs autocannon when that is the client: then its figure is not the route's alone).
 */
async function load(target: string, auth: boolean, pid: number | undefined) {
  const serverCpu = () => (pid ? cpuMsOf(pid) : selfCpuMs());
  const [s0, p0] = [serverCpu(), await postgresCpu()];
  const r = await generate(target, auth, seconds);
  const [s1, p1] = [serverCpu(), await postgresCpu()];
  return {
    ...r,
    serverCpuUs: ((s1 - s0) * 1000) / r.requests,
    postgresCpuUs: (cpuBetween(p0, p1) * 1000) / r.requests,
    loadavg1: os.loadavg()[0],
  };
}

type Run = Awaited<ReturnType<typeof load>>;
if (warmup > 0)
  for (const [target, auth] of [
    ['http://127.0.0.1:18081', false],
    [base, true],
    ...(baseline ? [[baseline.base, true]] : []),
  ] as [string, boolean][])
    await generate(target, auth, warmup);
const c: Run[] = [];
const b: Run[] = [];
const a: Run[] = [];
for (let k = 0; k < runs; k++) {
  b.push(await load('http://127.0.0.1:18081', false, undefined));
  // A and B in turn, the order swapped every round, so a drift of the machine's speed hits both alike.
  if (baseline && k % 2 === 0) a.push(await load(baseline.base, true, baseline.server.pid));
  c.push(await load(base, true, server.pid));
  if (baseline && k % 2 === 1) a.push(await load(baseline.base, true, baseline.server.pid));
}
const mem = vm(server.pid as number);
const summary = (xs: Run[]) => ({
  rps: stats(xs.map((x) => x.rps)),
  p50ms: stats(xs.map((x) => x.p50)),
  p95ms: stats(xs.map((x) => x.p95)),
  p99ms: stats(xs.map((x) => x.p99)),
  serverCpuUsPerRequest: stats(xs.map((x) => x.serverCpuUs)),
  postgresCpuUsPerRequest: stats(xs.map((x) => x.postgresCpuUs)),
  runs: xs,
});
const out = {
  connections,
  seconds,
  warmupSeconds: warmup,
  loadGenerator: client,
  resourceType: onlyType ?? 'any (2,000 random resources)',
  note: `server, PostgreSQL and ${client} share the 2 cores${client === 'autocannon' ? "; p95 is autocannon's p97.5; the bare route's CPU includes autocannon's" : ''}; CPU per request from /proc (utime+stime), 10 ms ticks`,
  postgres: postgresSettings,
  loadavgAtStart,
  loadavgAtEnd: os.loadavg(),
  chartroom: summary(c),
  ...(baseline
    ? {
        baseline: { root: path.resolve(baselineRoot as string), env: baselineEnv, ...summary(a) },
        // Pair by pair (the two runs of one round are next to each other in time): this build / the baseline.
        pairRatios: {
          serverCpu: stats(c.map((x, k) => x.serverCpuUs / a[k].serverCpuUs)),
          postgresCpu: stats(c.map((x, k) => x.postgresCpuUs / a[k].postgresCpuUs)),
          rps: stats(c.map((x, k) => x.rps / a[k].rps)),
        },
      }
    : {}),
  bareFastifySameSql: summary(b),
  serverMemoryAfterImportAndReads: mem,
};
const ratio = (r: ReturnType<typeof stats>) =>
  `${r.median.toFixed(2)} (${r.min.toFixed(2)}-${r.max.toFixed(2)})`;
const line = (name: string, s: ReturnType<typeof summary>) =>
  `  ${name.padEnd(22)}${fmt(s.rps.median)} req/s (${fmt(s.rps.min)}-${fmt(s.rps.max)}), p50 ${s.p50ms.median.toFixed(1)} ms, p99 ${s.p99ms.median.toFixed(1)} ms; CPU per request: server ${Math.round(s.serverCpuUsPerRequest.median)} µs, PostgreSQL ${Math.round(s.postgresCpuUsPerRequest.median)} µs\n`;
process.stdout.write(
  `read by id${onlyType ? ` (${onlyType})` : ''}, ${connections} connections, ${seconds}s x ${runs} runs (medians):\n` +
    line('chartroom:', out.chartroom) +
    (out.baseline ? line('baseline build:', out.baseline) : '') +
    line('bare fastify + SQL:', out.bareFastifySameSql) +
    (out.pairRatios
      ? `  this build / baseline, pair by pair (median, min-max): server CPU ${ratio(out.pairRatios.serverCpu)}, PostgreSQL CPU ${ratio(out.pairRatios.postgresCpu)}, requests/s ${ratio(out.pairRatios.rps)}\n`
      : '') +
    `  load generator ${client}, PostgreSQL ${postgresSettings.summary}; ratio ${(out.chartroom.rps.median / out.bareFastifySameSql.rps.median).toFixed(2)}; load average ${loadavgAtStart[0].toFixed(1)} at start, ${out.loadavgAtEnd[0].toFixed(1)} at end; server RSS ${mem.rssMiB} MiB (peak ${mem.hwmMiB} MiB)\n`,
);
process.stdout.write(`saved ${saveResult('read', out, label)}\n`);
// The servers flush their audit records and remove their journal files before the folder goes.
const stopped = [server, ...(baseline ? [baseline.server] : [])].map(
  (s) => new Promise((resolve) => s.once('exit', resolve)),
);
server.kill('SIGTERM');
baseline?.server.kill('SIGTERM');
await Promise.all(stopped);
await bare.close();
await db.end();
fs.rmSync(dataDir, { recursive: true, force: true });
