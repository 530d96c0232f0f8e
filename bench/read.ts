// Read by id over HTTP on PostgreSQL, 50 connections: Chartroom (token check, audit) against a bare
// Fastify route running the same SELECT with no auth or audit, measured in the same run.
// Usage: node dist/bench/read.js [--runs 3] [--seconds 10] [--connections 50] [--client wrk|autocannon]
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
  fmt,
  freshPgDatabase,
  numberOption,
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
const connections = numberOption('--connections', 50);

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

const db = new pg.Pool({ connectionString: databaseUrl, max: 10 });
// The import's dirty pages are written out now, not by a checkpoint in the middle of the read runs.
await db.query('CHECKPOINT');
const sharedBuffers = (await db.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]
  .shared_buffers;
const ids = (
  await db.query<{ type: string; id: string }>(
    'SELECT type, id FROM resource WHERE NOT deleted ORDER BY random() LIMIT 2000',
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

async function load(target: string, auth: boolean) {
  if (client === 'wrk') {
    const r = await runWrk({ base: `${target}/fhir/R4`, token: auth ? token : undefined }, paths, {
      connections,
      seconds,
    });
    return { rps: r.rps, p50: r.p50, p95: r.p95, p99: r.p99 };
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
    rps: result.requests.average,
    p50: result.latency.p50,
    p95: result.latency.p97_5, // autocannon reports p97.5, not p95
    p99: result.latency.p99,
  };
}

const c: ReturnType<typeof load> extends Promise<infer T> ? T[] : never = [];
const b: typeof c = [];
for (let k = 0; k < runs; k++) {
  b.push(await load('http://127.0.0.1:18081', false));
  c.push(await load(base, true));
}
const mem = vm(server.pid as number);
const pick = (xs: typeof c, key: keyof (typeof c)[number]) => stats(xs.map((x) => x[key] as number));
const out = {
  connections,
  seconds,
  loadGenerator: client,
  note: `server, PostgreSQL and ${client} share the 2 cores${client === 'autocannon' ? "; p95 is autocannon's p97.5" : ''}`,
  postgres: { sharedBuffers },
  loadavgAtStart,
  chartroom: { rps: pick(c, 'rps'), p50ms: pick(c, 'p50'), p95ms: pick(c, 'p95'), p99ms: pick(c, 'p99') },
  bareFastifySameSql: {
    rps: pick(b, 'rps'),
    p50ms: pick(b, 'p50'),
    p95ms: pick(b, 'p95'),
    p99ms: pick(b, 'p99'),
  },
  serverMemoryAfterImportAndReads: mem,
};
process.stdout.write(
  `read by id, ${connections} connections, ${seconds}s x ${runs} runs (medians):\n` +
    `  chartroom:            ${fmt(out.chartroom.rps.median)} req/s, p50 ${out.chartroom.p50ms.median} ms, p99 ${out.chartroom.p99ms.median} ms\n` +
    `  bare fastify + SQL:   ${fmt(out.bareFastifySameSql.rps.median)} req/s, p50 ${out.bareFastifySameSql.p50ms.median} ms, p99 ${out.bareFastifySameSql.p99ms.median} ms\n` +
    `  load generator ${client}, PostgreSQL shared_buffers ${sharedBuffers}; ratio ${(out.chartroom.rps.median / out.bareFastifySameSql.rps.median).toFixed(2)}; server RSS ${mem.rssMiB} MiB (peak ${mem.hwmMiB} MiB)\n`,
);
process.stdout.write(`saved ${saveResult('read', out)}\n`);
server.kill('SIGTERM');
await bare.close();
await db.end();
fs.rmSync(dataDir, { recursive: true, force: true });
