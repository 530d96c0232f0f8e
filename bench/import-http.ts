import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  BENCH_SECRET_KEY,
  corpusDir,
  fmt,
  freshPgDatabase,
  saveResult,
  startBenchServer,
  vm,
} from './support.js';

const args = process.argv.slice(2);
const clients = args.includes('--clients') ? Number(args[args.indexOf('--clients') + 1]) : 4;
const dbName = 'bench_import_http';
const url = new URL(await freshPgDatabase(dbName));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-http-'));
const env = {
  ...process.env,
  DATABASE_URL: url.toString(),
  CHARTROOM_DATA_DIR: dataDir,
  CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
  CHARTROOM_ADMIN_PASSWORD: 'bench password 123',
  CHARTROOM_MFA: 'off', // sign-in is not what is measured
  CHARTROOM_PORT: '18090',
  CHARTROOM_BODY_LIMIT: String(64 * 2 ** 20),
};
const { server, base, token } = await startBenchServer(env);
const atStart = vm(server.pid as number);

const files = fs
  .readdirSync(corpusDir)
  .sort((a, b) => Number(/Information/.test(b)) - Number(/Information/.test(a)));
let next = 0;
let resources = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (next < files.length) {
      const body = zlib.gunzipSync(fs.readFileSync(path.join(corpusDir, files[next++])));
      const r = await fetch(`${base}/fhir/R4`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/fhir+json',
          prefer: 'return=minimal',
        },
        body,
      });
      if (r.status !== 200) throw new Error(`${r.status}: ${(await r.text()).slice(0, 300)}`);
      resources += ((await r.json()) as { entry: unknown[] }).entry.length;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const after = vm(server.pid as number);
process.stdout.write(
  `${fmt(resources)} resources over HTTP in ${seconds.toFixed(1)} s (${fmt(resources / seconds)}/s, ${clients} clients)\n`,
);
process.stdout.write(
  `server RSS: ${atStart.rssMiB} MiB at start, ${after.rssMiB} MiB after the import (peak ${after.hwmMiB} MiB)\n`,
);
process.stdout.write(
  `saved ${saveResult('import-http', { clients, resources, seconds, rate: resources / seconds, serverAtStart: atStart, serverAfterImport: after })}\n`,
);
server.kill('SIGTERM');
fs.rmSync(dataDir, { recursive: true, force: true });
