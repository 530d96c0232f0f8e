// Runs import files on worker threads (import-worker.ts), one message per file, for PostgreSQL imports.
import { Worker } from 'node:worker_threads';
import type { ImportFile } from './read-files.js';
import type { FileOutcome } from './run-import.js';

interface Pending {
  resolve: (o: FileOutcome) => void;
  reject: (e: Error) => void;
  onBytes?: (bytes: number) => void;
}

/** What every import thread is started with besides the database. */
export interface ThreadOptions {
  setup?: ThreadSetup;
  auditOperator?: string;
  streamBundlesFrom?: number;
  bundleChunk?: number;
}

/** A module (URL) whose `setupRepository(repo, data)` each import thread calls on its repository. */
export interface ThreadSetup {
  module: string;
  data: unknown;
}

export class ThreadRunner {
  private next = 0;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (m: { seq: number; outcome?: FileOutcome; error?: string; bytes?: number }) => {
        const p = this.pending.get(m.seq);
        if (!p) return;
        if (m.bytes !== undefined) {
          p.onBytes?.(m.bytes);
          return;
        }
        this.pending.delete(m.seq);
        if (m.outcome) p.resolve(m.outcome);
        else p.reject(new Error(m.error ?? 'import worker failed'));
      });
      w.on('error', (err: Error) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    }
  }

  static async start(threads: number, databaseUrl: string, opts: ThreadOptions): Promise<ThreadRunner> {
    const workers = Array.from(
      { length: threads },
      () =>
        new Worker(new URL('./import-worker.js', import.meta.url), {
          workerData: { databaseUrl, ...opts },
        }),
    );
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', (m: { ready?: boolean; error?: string }) =>
              m.ready ? resolve() : reject(new Error(m.error)),
            );
            w.once('error', reject);
          }),
      ),
    );
    return new ThreadRunner(workers);
  }

  run(file: ImportFile, lastRound: boolean, onBytes?: (bytes: number) => void): Promise<FileOutcome> {
    const seq = ++this.seq;
    const worker = this.workers[this.next++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, onBytes });
      worker.postMessage({ seq, file, lastRound });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
