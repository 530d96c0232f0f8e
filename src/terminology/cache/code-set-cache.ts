// The code-set cache: the loaded code sets saved once in the data folder as one compact file, keyed by the
// bytes of every source file and of this module's code, and read back at start in a fraction of a full load.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir, type LoadOptions, loadTerminology } from '../load-terminology.js';
import type { Terminology } from '../terminology.js';
import { SnapshotReader, SnapshotWriter } from './snapshot-file.js';
import { readTerminology, writeTerminology } from './terminology-snapshot.js';

/** Bump when the snapshot layout changes (a change of the loaders' code changes the key by itself). */
export const CACHE_FORMAT = 1;

const PREFIX = 'codesets-';

export interface CachedLoadOptions extends LoadOptions {
  /** Folder of the cache file (created when missing); undefined: no cache, a full load. */
  cacheDir?: string;
  /** Extra inputs of the load (installed releases): their bytes are part of the key. */
  extraFiles?: string[];
  /** Applied after a full load, before the snapshot is written (installed releases). */
  afterLoad?: (t: Terminology) => Promise<void>;
}

export interface CacheOutcome {
  /** "hit": read from the cache; "written": full load, cache written; "off": no cache folder; "failed": full load, the cache could not be written. */
  cache: 'hit' | 'written' | 'off' | 'failed';
  file?: string;
  ms: number;
}

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, keep));
    else if (keep(name)) out.push(p);
  }
  return out;
}

/** sha256 over the format, the terminology code (compiled), every source data file and the installed releases. */
export function cacheKey(dataDir: string, extraFiles: string[] = []): string {
  const h = createHash('sha256');
  h.update(`format ${CACHE_FORMAT}\n`);
  const codeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  for (const f of filesUnder(codeDir, (n) => n.endsWith('.js'))) {
    h.update(`code ${relative(codeDir, f)}\n`);
    h.update(readFileSync(f));
  }
  for (const f of filesUnder(dataDir, (n) => !n.endsWith('.md'))) {
    h.update(`data ${relative(dataDir, f)}\n`);
    h.update(readFileSync(f));
  }
  for (const f of extraFiles) {
    h.update(`extra ${f}\n`);
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

async function readCache(file: string, key: string): Promise<Terminology | undefined> {
  if (!existsSync(file)) return undefined;
  const r = new SnapshotReader(file, CACHE_FORMAT);
  const meta = r.meta as { key: string; parts: Parameters<typeof readTerminology>[1] };
  if (meta.key !== key) return undefined;
  const t = await readTerminology(r, meta.parts);
  r.release();
  return t;
}

async function writeCache(dir: string, file: string, key: string, t: Terminology): Promise<void> {
  const w = new SnapshotWriter();
  const parts = await writeTerminology(w, t);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, w.encode(CACHE_FORMAT, { key, written: new Date().toISOString(), parts }));
  renameSync(tmp, file); // atomic: a reader sees the old file or the whole new one
  for (const name of readdirSync(dir))
    if (name.startsWith(PREFIX) && name.endsWith('.bin') && join(dir, name) !== file)
      rmSync(join(dir, name), { force: true });
}

/** Writes the cache of already loaded code sets (after an install), under the key their sources give. */
export async function saveCache(
  t: Terminology,
  cacheDir: string,
  dataDir = defaultDataDir(),
  extraFiles: string[] = [],
): Promise<string> {
  const key = cacheKey(dataDir, extraFiles);
  const file = join(cacheDir, `${PREFIX}${key.slice(0, 16)}.bin`);
  await writeCache(cacheDir, file, key, t);
  return file;
}

/**
 * Loads the code sets from the cache when it matches the sources, else in full (then writes the cache).
 * A damaged or stale cache file is never an error: it is rebuilt.
 */
export async function loadTerminologyCached(
  options: CachedLoadOptions = {},
): Promise<{ terminology: Terminology; outcome: CacheOutcome }> {
  const started = performance.now();
  const dataDir = options.dataDir ?? defaultDataDir();
  const full = async (): Promise<Terminology> => {
    const t = await loadTerminology({ ...options, dataDir });
    await options.afterLoad?.(t);
    return t;
  };
  if (!options.cacheDir) {
    const terminology = await full();
    return { terminology, outcome: { cache: 'off', ms: Math.round(performance.now() - started) } };
  }
  const key = cacheKey(dataDir, options.extraFiles);
  const file = join(options.cacheDir, `${PREFIX}${key.slice(0, 16)}.bin`);
  options.onProgress?.({ step: 'code-set cache', done: 0, total: 1 });
  try {
    const cached = await readCache(file, key);
    if (cached) {
      cached.loadMs = Math.round(performance.now() - started);
      cached.loadTimings.push({ step: 'code-set cache', ms: cached.loadMs });
      options.onProgress?.({ step: 'done', done: 1, total: 1 });
      return { terminology: cached, outcome: { cache: 'hit', file, ms: cached.loadMs } };
    }
  } catch {
    // unreadable or of another format: rebuilt below
  }
  const terminology = await full();
  let cache: CacheOutcome['cache'] = 'written';
  try {
    await writeCache(options.cacheDir, file, key, terminology);
  } catch (err) {
    cache = 'failed';
    process.stderr.write(`terminology: the code-set cache could not be written: ${(err as Error).message}\n`);
  }
  return { terminology, outcome: { cache, file, ms: Math.round(performance.now() - started) } };
}
