// Shared pieces of the benchmarks: statistics, machine facts, result files, corpus reading.
import { execSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = process.env.CHARTROOM_SHARED ?? path.resolve(repoRoot, '../shared');
export const corpusDir = path.join(sharedDir, 'corpus/synthea-fhir-r4');
export const PG_ADMIN = process.env.CHARTROOM_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function stats(xs: number[]): { median: number; min: number; max: number; runs: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: mid, min: s[0], max: s[s.length - 1], runs: s.length };
}

export function machine(): Record<string, unknown> {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: repoRoot }).toString().trim();
  } catch {}
  return {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit,
    loadavg: os.loadavg(),
  };
}

/**
 * The PostgreSQL memory settings a figure depends on: shared_buffers, huge_pages, and the huge pages the
 * kernel holds (vm.nr_hugepages; docs/configuration.md, "PostgreSQL server settings"). Without huge pages
 * each backend maps shared buffers 4 KiB at a time, and on some machines those page faults cost more than
 * the queries (docs/performance.md, session 7).
 */
export async function postgresMemory(db: {
  query<T>(sql: string): Promise<{ rows: T[] }>;
}): Promise<{ sharedBuffers: string; hugePages: string; kernelHugePages: number; summary: string }> {
  const show = async (name: string) =>
    Object.values((await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0])[0];
  const sharedBuffers = await show('shared_buffers');
  const hugePages = await show('huge_pages');
  let kernelHugePages = 0;
  try {
    kernelHugePages = Number(
      /HugePages_Total:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0,
    );
  } catch {}
  return {
    sharedBuffers,
    hugePages,
    kernelHugePages,
    summary: `shared_buffers ${sharedBuffers}, huge_pages ${hugePages} (kernel: ${kernelHugePages} huge pages)`,
  };
}

/** Writes bench/results/NAME-DATE.json, or NAME-DATETHHMM-LABEL.json when a label is given. */
export function saveResult(name: string, result: Record<string, unknown>, label?: string): string {
  const dir = path.join(repoRoot, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const iso = new Date().toISOString();
  const when = label
    ? `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}-${label}`
    : iso.slice(0, 10);
  const file = path.join(dir, `${name}-${when}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify({ ...machine(), command: process.argv.slice(1).join(' '), ...result }, null, 2)}\n`,
  );
  return file;
}

/** The corpus resources as [type, id, json text] (the documents a bare insert stores). */
export function corpusDocuments(): { type: string; id: string; text: string }[] {
  const out: { type: string; id: string; text: string }[] = [];
  for (const f of fs.readdirSync(corpusDir).sort()) {
    const b = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(corpusDir, f))).toString('utf8')) as {
      entry: { resource: { resourceType: string; id: string } }[];
    };
    for (const e of b.entry)
      out.push({ type: e.resource.resourceType, id: e.resource.id, text: JSON.stringify(e.resource) });
  }
  return out;
}

export function vm(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: Math.round(kb('VmRSS') / 1024), hwmMiB: Math.round(kb('VmHWM') / 1024) };
}

/** utime + stime of a process from /proc, ms (0 once it has ended). Steadier than latency on a busy machine. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** A numeric command-line option (`--runs 3`), or the default. */
export function numberOption(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : fallback;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Drops and creates a database on the benchmark PostgreSQL; returns its URL. */
export async function freshPgDatabase(name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fixed key for benchmark servers and imports only (their data is generated): a database remembers the
 * key its sealed values need, and benches reuse databases across runs and processes.
 */
export const BENCH_SECRET_KEY = 'b'.repeat(64);

export interface TimedImport {
  resources: number;
  seconds: number;
  rate: number;
  /** Peak resident memory of the importer process (GNU time's %M). */
  peakMiB: number;
  /** With `allowFailure`: why the import did not finish (its last line of output, e.g. V8's heap error). */
  failed?: string;
  /** CPU seconds of the importer's main thread during the import (the report's, Linux). */
  mainThreadCpu?: number;
  /** The machine's 1-minute load average when the import ended. */
  load?: number;
  /** Files the embedded import pipeline wrote as its threads prepared them. */
  preparedFiles?: number;
}

/** Runs `chartroom import` on a fresh database (PostgreSQL, or a new embedded folder) as its own process. */
export async function timedImport(opts: {
  db: 'postgres' | 'pglite';
  inputs: string[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
  dbName: string;
  /** Report a failed import (with its peak memory) instead of throwing. */
  allowFailure?: boolean;
}): Promise<TimedImport> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  const env = {
    ...process.env,
    CHARTROOM_DATA_DIR: dataDir,
    CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
    DATABASE_URL: opts.db === 'postgres' ? await freshPgDatabase(opts.dbName) : '',
    ...opts.env,
  };
  const report = path.join(dataDir, 'r.json');
  const cli = [path.join(repoRoot, 'dist/src/cli/main.js'), 'import', '--quiet', '--report', report];
  const child = spawn(
    '/usr/bin/time',
    ['-f', 'PEAK_KB %M', process.execPath, ...cli, ...(opts.args ?? []), ...opts.inputs],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const code = await new Promise((r) => child.on('exit', r));
  const peakMiB = Math.round(Number(/PEAK_KB (\d+)/.exec(err)?.[1] ?? 0) / 1024);
  if (code !== 0 && opts.allowFailure) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    const why = /FATAL ERROR: [^\n]*|Error: [^\n]*/.exec(err)?.[0] ?? `exit code ${code}`;
    return { resources: 0, seconds: 0, rate: 0, peakMiB, failed: why };
  }
  if (code !== 0) throw new Error(`import failed (${code}): ${err}`);
  const r = JSON.parse(fs.readFileSync(report, 'utf8')) as {
    resources: number;
    seconds: number;
    mainThreadCpuSeconds?: number;
    pipeline?: { preparedFiles: number };
  };
  fs.rmSync(dataDir, { recursive: true, force: true });
  return {
    resources: r.resources,
    seconds: r.seconds,
    rate: r.resources / r.seconds,
    peakMiB,
    mainThreadCpu: r.mainThreadCpuSeconds,
    load: os.loadavg()[0],
    preparedFiles: r.pipeline?.preparedFiles,
  };
}

/** Starts `node dist/src/main.js` with env (which sets the port and admin password) and signs in. */
export async function startBenchServer(
  env: NodeJS.ProcessEnv,
  /** The checkout whose build runs (another commit's, for an A/B in one run); this one by default. */
  root = repoRoot,
): Promise<{ server: import('node:child_process').ChildProcess; base: string; token: string }> {
  // BENCH_SERVER_NODE_ARGS passes Node options to the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // One key for every bench server: the databases they reuse remember the key their sealed values need.
  env = { CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY, ...env };
  const server = spawn(process.execPath, [...nodeArgs, path.join(root, 'dist/src/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A bench that fails part-way must not leave its server running (kill is a no-op once it has exited).
  process.on('exit', () => server.kill());
  await new Promise<void>((resolve) =>
    server.stdout?.on('data', (d) => /listening/.test(String(d)) && resolve()),
  );
  const base = `http://127.0.0.1:${env.CHARTROOM_PORT}`;
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'admin',
      password: String(env.CHARTROOM_ADMIN_PASSWORD),
    }),
  });
  return { server, base, token: ((await res.json()) as { access_token: string }).access_token };
}
