// Server start with the code sets loaded, end to end: from spawning `node dist/src/main.js` (an existing data
// folder on PGlite, CHARTROOM_TERMINOLOGY=eager) to the first encoder search answered over HTTP. Compared in
// the same run, in turn: the same start without the code-set cache (full load of the source files), and the
// server alone (first /healthz answered, no code sets). Also the server's RSS after the first search.
// Run: npm run build && node dist/bench/terminology-start.js [--runs 5] [--db pglite|postgres]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_SECRET_KEY, freshPgDatabase, repoRoot, saveResult, stats, vm } from './support.js';

const loadBefore = os.loadavg()[0];
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const db = process.argv.includes('--db') ? process.argv[process.argv.indexOf('--db') + 1] : 'pglite';
if (db !== 'pglite' && db !== 'postgres') throw new Error('--db must be pglite or postgres');
// PostgreSQL: one database for every start (created once, as a deployed server finds it)
const databaseUrl = db === 'postgres' ? await freshPgDatabase('bench_terminology_start') : '';
const password = 'bench-terminology-start-password';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-bench-start-'));
const cacheDir = path.join(dataDir, 'terminology-cache');
let port = 18900;

type Variant = 'cache' | 'no-cache' | 'server-alone';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tryFetch(url: string, init?: RequestInit): Promise<Response | undefined> {
  try {
    return await fetch(url, init);
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) the process has used: a shared, busy machine stretches wall time, not this. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100/s)
}

interface Start {
  ms: number;
  cpuMs: number;
  hits: number;
  rssMiB: number;
  hwmMiB: number;
}

/** One start: ms to the first answered request, the hit count of that search, and the server's memory then. */
async function start(variant: Variant): Promise<Start> {
  port++;
  const t0 = performance.now();
  const server = spawn(process.execPath, [path.join(repoRoot, 'dist/src/main.js')], {
    env: {
      ...process.env,
      CHARTROOM_DATA_DIR: dataDir,
      CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
      DATABASE_URL: databaseUrl,
      CHARTROOM_PORT: String(port),
      CHARTROOM_ADMIN_PASSWORD: password,
      CHARTROOM_MFA: 'off',
      CHARTROOM_LOG_LEVEL: 'warn',
      CHARTROOM_TERMINOLOGY: variant === 'server-alone' ? 'lazy' : 'eager',
      CHARTROOM_TERMINOLOGY_CACHE: variant === 'cache' ? cacheDir : 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    if (variant === 'server-alone') {
      while (!(await tryFetch(`${base}/healthz`))?.ok) await sleep(5);
      const ms = performance.now() - t0;
      return { ms, cpuMs: cpuMs(server.pid as number), hits: 0, ...vm(server.pid as number) };
    }
    let token: string | undefined;
    while (!token) {
      const r = await tryFetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username: 'admin', password }),
      });
      if (r?.ok) token = ((await r.json()) as { access_token: string }).access_token;
      else await sleep(5);
    }
    // the search waits for the code sets when they are still loading (eager: loading since the server was ready)
    const r = await fetch(`${base}/terminology/search?q=dm2%20w%20neuropathy`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!r.ok) throw new Error(`search answered ${r.status}: ${await r.text()}`);
    const ms = performance.now() - t0;
    const hits = ((await r.json()) as { hits: unknown[] }).hits.length;
    return { ms, cpuMs: cpuMs(server.pid as number), hits, ...vm(server.pid as number) };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

// the data folder exists (first start done) and the cache is written, as on any later start
await start('server-alone');
await start('cache');
const results: Record<Variant, Start[]> = {
  cache: [],
  'no-cache': [],
  'server-alone': [],
};
for (let i = 0; i < runs; i++)
  for (const v of ['cache', 'no-cache', 'server-alone'] as Variant[]) results[v].push(await start(v));
fs.rmSync(dataDir, { recursive: true, force: true });

const summary: Record<string, unknown> = { db, runs, cores: os.cpus().length, loadAverageBefore: loadBefore };
for (const [v, list] of Object.entries(results)) {
  const s = stats(list.map((x) => x.ms));
  const cpu = stats(list.map((x) => x.cpuMs));
  const rss = stats(list.map((x) => x.rssMiB));
  const hwm = stats(list.map((x) => x.hwmMiB));
  summary[v] = { startMs: s, cpuMs: cpu, rssMiB: rss, hwmMiB: hwm, hits: list[0].hits };
  process.stdout.write(
    `${v.padEnd(13)} start -> ${v === 'server-alone' ? 'first /healthz' : 'first search'}: median ${Math.round(s.median)} ms (${Math.round(s.min)}-${Math.round(s.max)}), CPU ${Math.round(cpu.median)} ms, ` +
      `RSS ${rss.median} MiB (${rss.min}-${rss.max}), peak ${hwm.median} MiB${v === 'server-alone' ? '' : `, ${list[0].hits} hits`}\n`,
  );
}
process.stdout.write(`saved ${saveResult(`terminology-start-${db}`, summary)}\n`);
