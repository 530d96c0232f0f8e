// A preparing thread of the embedded database's import pipeline: parses, validates and indexes the files it
// is sent (prepare-file.ts) and posts them back ready to write. It opens no database.
import { parentPort } from 'node:worker_threads';
import { loadDefinitions } from '../../fhir/definitions.js';
import { loadConfig } from '../../platform/config.js';
import { SecretBox } from '../../platform/crypto/secret-box.js';
import type { Queryable } from '../../platform/db/database.js';
import { threadCpuSeconds } from '../../platform/thread-cpu.js';
import { ParamRegistry } from '../param-registry.js';
import { Repository } from '../repository.js';
import { SsnSealer } from '../ssn-sealing.js';
import { type PrepareContext, prepareFile } from './prepare-file.js';
import type { ImportFile } from './read-files.js';
import type { ThreadSetup } from './thread-runner.js';

export interface PrepareWorkerData {
  params: [string, number][];
  streamFrom: number;
  setup?: ThreadSetup;
}

const port = parentPort;
if (!port) throw new Error('prepare-worker must run as a worker thread');

const noDatabase: Queryable = {
  query: () => Promise.reject(new Error('the preparing thread has no database')),
};

/** Sets the thread up with the database's search parameters (the first message: pipeline.ts `init`). */
async function contextOf({ params, streamFrom, setup }: PrepareWorkerData): Promise<PrepareContext> {
  // the same key as the main thread: configuration comes from the same environment and data folder
  const config = loadConfig();
  const ssn = new SsnSealer(SecretBox.fromConfig(config.secretKey, config.dataDir));
  const registry = ParamRegistry.fromEntries(params);
  const repo = new Repository(noDatabase, registry, ssn);
  if (setup) {
    const m = (await import(setup.module)) as { setupRepository: (repo: Repository, data: unknown) => void };
    m.setupRepository(repo, setup.data);
  }
  return { params: registry, ssn, repo, streamFrom };
}

// Started before the database is open: the definitions load while the importer opens it.
let loaded: Error | undefined;
try {
  loadDefinitions();
} catch (err) {
  loaded = err as Error;
}
let ctx: PrepareContext | undefined;
port.on('message', async (m: { init?: PrepareWorkerData; seq?: number; file?: ImportFile }) => {
  if (m.init) {
    try {
      if (loaded) throw loaded;
      ctx = await contextOf(m.init);
      port.postMessage({ ready: true, cpu: threadCpuSeconds() });
    } catch (err) {
      port.postMessage({ error: (err as Error).message });
    }
    return;
  }
  try {
    if (!ctx) throw new Error('prepare thread used before init');
    const prepared = await prepareFile(ctx, m.file as ImportFile);
    const cpu = threadCpuSeconds();
    port.postMessage({ seq: m.seq, prepared, cpu }, [prepared.contents.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ seq: m.seq, error: (err as Error).stack ?? String(err) });
  }
});
