// The large benchmark database: generated (bench/generate.ts), imported with `chartroom import` and
// analyzed once, then reused by later runs as long as the generator version, size and seed are the same
// (the database's comment records what was loaded, with which schema, and how fast). `--reload` forces a new load, e.g. after a change to index extraction.
// Usage alone: node dist/bench/search-dataset.js [--resources 1000000] [--seed 1] [--reload]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { existingManifest, GENERATOR_VERSION, generate, type Manifest } from './generate.js';
import { BENCH_SECRET_KEY, fmt, freshPgDatabase, PG_ADMIN, repoRoot, startBenchServer } from './support.js';

/** The administrator's password in benchmark databases (they hold synthetic data only). */
export const BENCH_ADMIN_PASSWORD = 'bench password 123';

export interface LoadedDataset {
  databaseUrl: string;
  database: string;
  generator: string;
  /** The newest migration when the data was loaded. */
  schema: string;
  seed: number;
  requested: number;
  manifest: Manifest;
  import: { resources: number; seconds: number; rate: number; failedFiles: number; command: string };
  analyzeSeconds: number;
  databaseSizeMiB: number;
  loadedAt: string;
  /** True when this run found the database already loaded and did not load it again. */
  reused?: boolean;
}

export interface DatasetOptions {
  database: string;
  resources: number;
  seed: number;
  /** Where the generated NDJSON goes (outside the repository). */
  out: string;
  reload?: boolean;
}

function urlOf(database: string): string {
  const u = new URL(PG_ADMIN);
  u.pathname = `/${database}`;
  return u.toString();
}

async function loadedComment(database: string): Promise<LoadedDataset | undefined> {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  try {
    const r = await admin.query<{ comment: string | null }>(
      'SELECT shobj_description(oid, $2) AS comment FROM pg_database WHERE datname = $1',
      [database, 'pg_database'],
    );
    return r.rows[0]?.comment ? (JSON.parse(r.rows[0].comment) as LoadedDataset) : undefined;
  } catch {
    return undefined;
  } finally {
    await admin.end();
  }
}

/** The name of the newest migration file. */
export function schemaVersion(): string {
  return fs.readdirSync(path.join(repoRoot, 'migrations')).sort().at(-1) ?? '';
}

export async function ensureDataset(opts: DatasetOptions): Promise<LoadedDataset> {
  const known = await loadedComment(opts.database);
  if (
    !opts.reload &&
    known?.generator === GENERATOR_VERSION &&
    known.requested === opts.resources &&
    known.seed === opts.seed
  ) {
    if (known.schema !== schemaVersion())
      process.stderr.write(
        `note: ${opts.database} was loaded with the schema up to ${known.schema}; the server migrates it to ${schemaVersion()} at start, but index rows written by older code stay as they were (--reload to load again)\n`,
      );
    return { ...known, reused: true };
  }

  const manifest =
    existingManifest(opts.out, opts.resources, opts.seed) ??
    (await generate({ out: opts.out, resources: opts.resources, seed: opts.seed }));
  process.stdout.write(
    `generated ${fmt(manifest.resources)} resources in ${opts.out} (${manifest.seconds.toFixed(0)} s)\n`,
  );
  const databaseUrl = await freshPgDatabase(opts.database);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-search-load-'));
  const reportFile = path.join(dataDir, 'import-report.json');
  const args = [
    path.join(repoRoot, 'dist/src/cli/main.js'),
    'import',
    '--quiet',
    '--report',
    reportFile,
    opts.out,
  ];
  await new Promise((resolve, reject) =>
    spawn(process.execPath, args, {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        CHARTROOM_DATA_DIR: dataDir,
        CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
        CHARTROOM_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
      },
      stdio: 'inherit',
    }).on('exit', (c) => (c === 0 ? resolve(0) : reject(new Error(`import exited with ${c}`)))),
  );
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
    resources: number;
    seconds: number;
    failedFiles: number;
  };
  fs.rmSync(dataDir, { recursive: true, force: true });

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const t0 = performance.now();
  await db.query('VACUUM ANALYZE');
  const analyzeSeconds = (performance.now() - t0) / 1000;
  const size = await db.query<{ b: string }>('SELECT pg_database_size(current_database())::text AS b');
  const loaded: LoadedDataset = {
    databaseUrl,
    database: opts.database,
    generator: GENERATOR_VERSION,
    schema: schemaVersion(),
    seed: opts.seed,
    requested: opts.resources,
    manifest,
    import: {
      resources: report.resources,
      seconds: report.seconds,
      rate: report.resources / report.seconds,
      failedFiles: report.failedFiles,
      command: `chartroom import --quiet ${opts.out}`,
    },
    analyzeSeconds,
    databaseSizeMiB: Math.round(Number(size.rows[0].b) / 2 ** 20),
    loadedAt: new Date().toISOString(),
  };
  const comment = JSON.stringify(loaded).replace(/'/g, "''");
  await db.query(`COMMENT ON DATABASE ${opts.database} IS '${comment}'`);
  await db.end();
  return loaded;
}

export const datasetDefaults = (args: string[]): DatasetOptions => {
  const opt = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
  const resources = Number(opt('--resources', '1000000'));
  return {
    database: opt(
      '--database',
      resources === 1_000_000 ? 'chartroom_bench_1m' : `chartroom_bench_${resources}`,
    ),
    resources,
    seed: Number(opt('--seed', '1')),
    out: opt('--out', `/tmp/chartroom-bench-${resources}`),
    reload: args.includes('--reload'),
  };
};

export { urlOf as benchDatabaseUrl };

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const d = await ensureDataset(datasetDefaults(process.argv.slice(2)));
  process.stdout.write(
    `${d.reused ? 'reused' : 'loaded'} ${d.database}: ${fmt(d.import.resources)} resources imported at ${fmt(d.import.rate)}/s (${d.import.seconds.toFixed(0)} s, ${d.import.failedFiles} failed files), ANALYZE ${d.analyzeSeconds.toFixed(0)} s, ${fmt(d.databaseSizeMiB)} MiB\n`,
  );
}

/** A server on the loaded dataset, as the search benches measure it (sign-in and terminology off). */
export function startDatasetServer(dataset: LoadedDataset, port: number, label: string) {
  return startBenchServer({
    ...process.env,
    DATABASE_URL: dataset.databaseUrl,
    CHARTROOM_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`)),
    CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
    CHARTROOM_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    CHARTROOM_MFA: 'off', // sign-in is not what is measured
    CHARTROOM_TERMINOLOGY: 'off',
    CHARTROOM_LOG_LEVEL: 'warn',
    CHARTROOM_PORT: String(port),
  });
}

/**
 * Reads the dataset's tables and indexes into PostgreSQL's shared buffers (pg_prewarm, from PostgreSQL's
 * contrib), as a server that has been serving them for a while holds them; without it the first minutes
 * after a restart measure disk and page-cache reads. Says what it did, for the result file.
 */
export async function prewarm(pool: pg.Pool): Promise<string> {
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  } catch (err) {
    return `not prewarmed (pg_prewarm: ${(err as Error).message})`;
  }
  const t0 = Date.now();
  const r = await pool.query<{ blocks: string }>(
    `SELECT coalesce(sum(pg_prewarm(c.oid)), 0)::text AS blocks FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')`,
  );
  const mib = Math.round((Number(r.rows[0].blocks) * 8) / 1024);
  return `pg_prewarm read ${mib} MiB of tables and indexes into shared buffers in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}
