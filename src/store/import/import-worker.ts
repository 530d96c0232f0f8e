// An import thread: opens its own connections and definitions, then imports the files it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { loadDefinitions } from '../../fhir/definitions.js';
import { loadConfig } from '../../platform/config.js';
import { SecretBox } from '../../platform/crypto/secret-box.js';
import { openDatabase } from '../../platform/db/database.js';
import { FhirError } from '../../platform/errors.js';
import { ParamRegistry } from '../param-registry.js';
import { Repository } from '../repository.js';
import { SsnSealer } from '../ssn-sealing.js';
import type { ImportFile } from './read-files.js';
import { importFile } from './run-import.js';
import type { ThreadOptions } from './thread-runner.js';

const { databaseUrl, setup, auditOperator, streamBundlesFrom, bundleChunk } = workerData as ThreadOptions & {
  databaseUrl: string;
};
const port = parentPort;
if (!port) throw new Error('import-worker must run as a worker thread');

try {
  const db = await openDatabase({ databaseUrl, dataDir: '', poolSize: 3 });
  loadDefinitions();
  // the same key as the main thread: configuration comes from the same environment and data folder
  const config = loadConfig();
  const box = SecretBox.fromConfig(config.secretKey, config.dataDir);
  const repo = new Repository(db, await ParamRegistry.load(db), new SsnSealer(box), db);
  if (setup) {
    const m = (await import(setup.module)) as { setupRepository: (repo: Repository, data: unknown) => void };
    m.setupRepository(repo, setup.data);
  }
  port.on('message', async (m: { seq: number; file: ImportFile; lastRound: boolean }) => {
    try {
      const outcome = await importFile(repo, db, m.file, {
        lastRound: m.lastRound,
        auditOperator,
        streamBundlesFrom,
        bundleChunk,
        onBytes: (bytes) => port.postMessage({ seq: m.seq, bytes }),
      });
      port.postMessage({ seq: m.seq, outcome });
    } catch (err) {
      port.postMessage({ seq: m.seq, error: err instanceof FhirError ? err.message : (err as Error).stack });
    }
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ error: (err as Error).message });
}
