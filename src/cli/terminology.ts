// chartroom terminology load | versions: loads the shipped code sets with progress and reports what is loaded,
// how long it took and the memory it holds (the same loadTerminology the server calls on first use).
import { loadTerminology, type Terminology } from '../terminology/index.js';

export interface TerminologyCommandOptions {
  /** Folder of the code-set files (default: the shipped terminology-data/). */
  dataDir?: string;
  json?: boolean;
  out?: NodeJS.WritableStream;
}

async function load(opts: TerminologyCommandOptions, showProgress: boolean): Promise<Terminology> {
  const out = opts.out ?? process.stderr;
  const tty = showProgress && (out as { isTTY?: boolean }).isTTY === true;
  return loadTerminology({
    dataDir: opts.dataDir,
    onProgress: showProgress
      ? (p) => {
          const line = `[${p.done}/${p.total}] ${p.step}`;
          out.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
          if (tty && p.step === 'done') out.write('\n');
        }
      : undefined,
  });
}

export async function terminologyCommand(
  args: string[],
  opts: TerminologyCommandOptions = {},
): Promise<number> {
  const out = opts.out ?? process.stdout;
  const [sub] = args;
  if (sub !== 'load' && sub !== 'versions') {
    process.stderr.write('usage: chartroom terminology load|versions [--data DIR] [--json]\n');
    return 1;
  }
  const t = await load(opts, sub === 'load' && !opts.json);
  const versions = t.versions();
  if (opts.json) {
    out.write(
      `${JSON.stringify(sub === 'load' ? { loadMs: t.loadMs, steps: t.loadTimings, versions } : { versions }, null, 2)}\n`,
    );
    return 0;
  }
  for (const v of versions)
    out.write(
      `${v.name.padEnd(15)} ${v.version.padEnd(8)} ${v.effective.start}..${v.effective.end}  ${String(v.codes).padStart(6)} codes (${v.billable} billable)  ${v.file}${v.official ? '' : ' [derived]'}\n`,
    );
  if (sub === 'load') {
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    out.write(`loaded in ${(t.loadMs / 1000).toFixed(1)} s; process memory ${rss} MiB\n`);
    for (const s of t.loadTimings) out.write(`  ${String(s.ms).padStart(5)} ms  ${s.step}\n`);
  }
  return 0;
}
