// Peak memory of `chartroom import` on one big transaction Bundle file (~200 MB of JSON, generated in a
// temporary folder): streamed (the default above 32 MiB), beside the same file through the whole-file
// path (--stream-from above its size) and a small Bundle (~2 MB) as the baseline, each on a fresh database.
// Usage: node dist/bench/import-big-bundle.js [--mb 200] [--db postgres|pglite] [--no-whole] [--heap-cap 384]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BigBundleSpec, writeBigBundle } from '../test/support/big-bundle.js';
import { fmt, numberOption, saveResult, type TimedImport, timedImport } from './support.js';

const args = process.argv.slice(2);
const targetMb = numberOption('--mb', 200);
const db = args.includes('--db') ? args[args.indexOf('--db') + 1] : 'postgres';
const withWhole = !args.includes('--no-whole');
const heapCap = numberOption('--heap-cap', 384);

interface Run extends TimedImport {
  label: string;
  fileMiB: number;
}

async function importOnce(
  label: string,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  const r = await timedImport({
    db: db === 'pglite' ? 'pglite' : 'postgres',
    inputs: [file],
    args: ['--threads', '1', ...args],
    env,
    dbName: 'bench_big_bundle',
    allowFailure: true,
  });
  const run = { label, fileMiB: Math.round(fs.statSync(file).size / 2 ** 20), ...r };
  process.stdout.write(
    `  ${label.padEnd(34)} ${String(run.fileMiB).padStart(5)} MiB file  ${fmt(r.resources).padStart(8)} resources  ${fmt(r.rate).padStart(6)}/s  peak RSS ${String(r.peakMiB).padStart(5)} MiB${r.failed ? `  FAILED: ${r.failed}` : ''}\n`,
  );
  return run;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-big-bundle-files-'));
try {
  // An Observation entry is ~330 bytes of JSON plus its note (8 kB, a dictated report's size): fewer,
  // bigger entries keep the run short on a busy machine; memory depends on the bytes, not on the count.
  const padding = 8000;
  const spec = (prefix: string, patients: number): BigBundleSpec => ({
    type: 'transaction',
    patients,
    observationsPerPatient: 20,
    prefix,
    padding,
  });
  const small = path.join(dir, 'small.json');
  const big = path.join(dir, 'big.json');
  await writeBigBundle(small, spec('s', Math.max(1, Math.round((2 * 2 ** 20) / (21 * (330 + padding))))));
  await writeBigBundle(big, spec('b', Math.round((targetMb * 2 ** 20) / (21 * (330 + padding)))));
  process.stdout.write(
    `chartroom import of one transaction Bundle file on ${db}, peak RSS of the importer:\n`,
  );
  const runs: Run[] = [await importOnce('small Bundle (whole-file path)', small, [])];
  // the streamed path is the default from 32 MiB on; named here so that a smaller --mb streams too (with
  // the import's default heap limit, CHARTROOM_IMPORT_HEAP_MIB)
  runs.push(await importOnce('big Bundle, streamed', big, ['--stream-from', '0']));
  // V8 lets the heap grow to a multiple of what is live before it collects: the import's own limit
  // (CHARTROOM_IMPORT_HEAP_MIB, default 512) bounds it; a lower cap shows what the streamed import needs at
  // most (the same cap would stop the whole-file path at once)
  runs.push(
    await importOnce(`big Bundle, streamed, heap <= ${heapCap} MiB`, big, ['--stream-from', '0'], {
      CHARTROOM_IMPORT_HEAP_MIB: String(heapCap),
    }),
  );
  // without the import's heap limit, as before it had one: how far the whole file gets
  if (withWhole)
    runs.push(
      await importOnce('big Bundle, whole-file path', big, ['--stream-from', '100000'], {
        CHARTROOM_IMPORT_HEAP_MIB: 'off',
      }),
    );
  process.stdout.write(`saved ${saveResult(`import-big-bundle-${db}`, { runs })}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
