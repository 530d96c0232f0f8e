// chartroom terminology load | versions | install <file> | installed: loads the code sets (shipped, plus the
// releases installed in the data folder) with progress and reports what is loaded, how long it took and the
// memory it holds; installs next year's official release files (the same functions the server calls).
import { terminologyCacheDirOf } from '../api/terminology/holder.js';
import { loadConfig } from '../platform/config.js';
import { FhirError } from '../platform/errors.js';
import {
  type EffectivePeriod,
  guessSpec,
  INSTALL_KINDS,
  type InstallKind,
  type InstallSpec,
  installRelease,
  type LoadProgress,
  loadWithInstalled,
  readManifest,
  type Terminology,
} from '../terminology/index.js';

export interface TerminologyCommandOptions {
  /** Folder of the code-set files (default: the shipped terminology-data/). */
  dataDir?: string;
  json?: boolean;
  out?: NodeJS.WritableStream;
  /** install: what the file is, when its name does not say (--kind), and its year or version. */
  kind?: string;
  year?: string;
  version?: string;
  /** install: "start..end" (ISO dates) for HCPCS and CPT. */
  effective?: string;
}

const USAGE = `usage: chartroom terminology load|versions [--data DIR] [--json]
       chartroom terminology install <file> [--kind ${INSTALL_KINDS.join('|')}] [--year YYYY] [--version V] [--effective START..END]
       chartroom terminology installed [--json]`;

function progressPrinter(showProgress: boolean): ((p: LoadProgress) => void) | undefined {
  if (!showProgress) return undefined;
  const out = process.stderr;
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  return (p) => {
    const line = `[${p.done}/${p.total}] ${p.step}`;
    out.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    if (tty && p.step === 'done') out.write('\n');
  };
}

/** The server's data folder and code-set cache, as the server would use them (CHARTROOM_DATA_DIR, CHARTROOM_TERMINOLOGY_CACHE). */
function serverFolders(): { dataFolder: string; cacheDir: string | undefined } {
  const dataFolder = loadConfig().dataDir;
  return { dataFolder, cacheDir: terminologyCacheDirOf(process.env.CHARTROOM_TERMINOLOGY_CACHE, dataFolder) };
}

async function load(
  opts: TerminologyCommandOptions,
  showProgress: boolean,
): Promise<{ terminology: Terminology; cache: string }> {
  const { dataFolder, cacheDir } = serverFolders();
  const { terminology, outcome } = await loadWithInstalled(dataFolder, {
    dataDir: opts.dataDir,
    cacheDir,
    onProgress: progressPrinter(showProgress),
  });
  return { terminology, cache: outcome.cache };
}

function effectiveOf(raw: string | undefined): EffectivePeriod | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(raw);
  if (!m) throw new Error(`--effective must be START..END (ISO dates), got "${raw}"`);
  return { start: m[1], end: m[2] };
}

function specOf(file: string, opts: TerminologyCommandOptions): InstallSpec {
  const guessed = guessSpec(file);
  const kind = (opts.kind ?? guessed?.kind) as InstallKind | undefined;
  if (!kind)
    throw new Error(`Cannot tell what ${file} is from its name: give --kind (${INSTALL_KINDS.join(', ')})`);
  if (!INSTALL_KINDS.includes(kind)) throw new Error(`--kind must be one of ${INSTALL_KINDS.join(', ')}`);
  const spec: InstallSpec = { kind };
  const year = opts.year ?? (guessed?.kind === kind ? guessed.fiscalYear : undefined);
  if (year !== undefined) spec.fiscalYear = Number(year);
  if (opts.version) spec.version = opts.version;
  const effective = effectiveOf(opts.effective);
  if (effective) spec.effective = effective;
  return spec;
}

async function install(file: string | undefined, opts: TerminologyCommandOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  if (!file) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const { dataFolder, cacheDir } = serverFolders();
  try {
    const spec = specOf(file, opts);
    const { release } = await installRelease(dataFolder, file, spec, {
      dataDir: opts.dataDir,
      cacheDir,
      onProgress: progressPrinter(!opts.json),
    });
    out.write(
      opts.json
        ? `${JSON.stringify(release, null, 2)}\n`
        : `installed ${release.summary}\n  kept as ${release.file} in ${dataFolder}; loaded at every start from now on (restart a running server)\n`,
    );
    return 0;
  } catch (err) {
    // a file that does not parse is refused whole: nothing is copied or recorded
    process.stderr.write(
      `not installed: ${err instanceof FhirError ? err.message : (err as Error).message}\n`,
    );
    return 1;
  }
}

export async function terminologyCommand(
  args: string[],
  opts: TerminologyCommandOptions = {},
): Promise<number> {
  const out = opts.out ?? process.stdout;
  const [sub, file] = args;
  if (sub === 'install') return install(file, opts);
  if (sub === 'installed') {
    const releases = readManifest(serverFolders().dataFolder);
    if (opts.json) out.write(`${JSON.stringify(releases, null, 2)}\n`);
    else if (releases.length === 0) out.write('no release installed (only the shipped code sets)\n');
    else
      for (const r of releases)
        out.write(`${r.installedAt.slice(0, 10)}  ${r.kind.padEnd(15)} ${r.summary}  (${r.file})\n`);
    return 0;
  }
  if (sub !== 'load' && sub !== 'versions') {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const { terminology: t, cache } = await load(opts, sub === 'load' && !opts.json);
  const versions = t.versions();
  if (opts.json) {
    out.write(
      `${JSON.stringify(sub === 'load' ? { loadMs: t.loadMs, cache, steps: t.loadTimings, versions } : { versions }, null, 2)}\n`,
    );
    return 0;
  }
  for (const v of versions)
    out.write(
      `${v.name.padEnd(15)} ${v.version.padEnd(8)} ${v.effective.start}..${v.effective.end}  ${String(v.codes).padStart(6)} codes (${v.billable} billable)  ${v.file}${v.official ? '' : ' [derived]'}\n`,
    );
  if (sub === 'load') {
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    out.write(
      `loaded in ${(t.loadMs / 1000).toFixed(1)} s (code-set cache: ${cache}); process memory ${rss} MiB\n`,
    );
    for (const s of t.loadTimings) out.write(`  ${String(s.ms).padStart(5)} ms  ${s.step}\n`);
  }
  return 0;
}
