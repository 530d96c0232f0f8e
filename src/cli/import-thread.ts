// `chartroom import` bounds its own JavaScript heap: V8 lets a heap grow to several times what is live before
// it collects (a streamed 192 MiB Bundle: ~1 GiB resident for 90-180 MB live, docs/performance.md), and a
// limit is only set when a heap is created. So the import runs in a worker thread created with one
// (CHARTROOM_IMPORT_HEAP_MIB, default 512; off: in the main thread as before). A thread, not a child
// process: a killed import (even SIGKILL) takes all of it down, as a crash that the journal resumes.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ImportReport } from '../store/import/run-import.js';
import { type ImportArgs, importCommand } from './import.js';

/** CHARTROOM_IMPORT_HEAP_MIB: the import's heap limit in MiB (default 512), or undefined for `off`. */
export function importHeapMibOf(env: string | undefined): number | undefined {
  if (env === undefined || env === '') return 512;
  if (env === 'off') return undefined;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 64)
    throw new Error(`CHARTROOM_IMPORT_HEAP_MIB must be off or a number of MiB (64 or more), not "${env}"`);
  return n;
}

/** Runs the import in a thread whose old generation is at most `mib` MiB; its report. */
export async function importInThread(args: ImportArgs, mib: number): Promise<ImportReport> {
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { args },
    resourceLimits: { maxOldGenerationSizeMb: mib },
  });
  // Ctrl-C goes to the main thread: the import thread stops after the files in flight, as in one thread
  const stop = () => worker.postMessage('stop');
  process.on('SIGINT', stop);
  try {
    return await new Promise<ImportReport>((resolve, reject) => {
      let outcome: { report?: ImportReport; error?: string } = {};
      worker.once('message', (m: { report?: ImportReport; error?: string }) => {
        outcome = m;
      });
      worker.once('error', (err: Error & { code?: string }) =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new Error(
                `the import needed more than its ${mib} MiB of JavaScript heap; raise CHARTROOM_IMPORT_HEAP_MIB (or set it to off)`,
              )
            : err,
        ),
      );
      // settled when the thread has ended, so that all it printed is out before the process exits
      worker.once('exit', () =>
        outcome.report
          ? resolve(outcome.report)
          : reject(new Error(outcome.error ?? 'the import thread stopped without a report')),
      );
    });
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

if (!isMainThread && parentPort && (workerData as { args?: ImportArgs })?.args) {
  const port = parentPort;
  const { args } = workerData as { args: ImportArgs };
  importCommand(args, (stop) => {
    const onMessage = (m: unknown) => m === 'stop' && stop();
    port.on('message', onMessage);
    return () => port.off('message', onMessage);
  })
    .then(
      (report) => port.postMessage({ report }),
      (err: Error) => port.postMessage({ error: err.message }),
    )
    // its work is done: end the thread even if a timer or handle of the import is still open
    .finally(() => process.exit(0));
}
