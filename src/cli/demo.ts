// `chartroom demo` (npm run demo): starts Chartroom on the embedded database in ./data-demo, loads the
// sample Synthea patients shipped in demo/ (once), and prints a ready access token and example calls.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenService } from '../security/oauth/tokens.js';
import { startServer } from '../server.js';
import { findFiles } from '../store/import/read-files.js';
import { runImport } from '../store/import/run-import.js';
import { ProgressBar } from './progress-bar.js';

const demoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../demo');

export async function demoCommand(): Promise<void> {
  process.env.CHARTROOM_DATA_DIR ??= 'data-demo';
  process.env.CHARTROOM_SESSION_IDLE ??= String(8 * 3600); // a demo is explored at leisure
  const running = await startServer();
  const { services } = running;
  const bar = new ProgressBar('loading sample patients');
  const report = await runImport(services.repo, services.db, findFiles([demoDir]), {
    onProgress: (p) => bar.update(p.filesDone, p.filesTotal, `${p.resources} resources`),
  });
  bar.done();
  // The demo signs the administrator in on your behalf: a session of 8 hours, without the second factor
  // that `npm start` asks administrators to set up.
  const tokens = await TokenService.load(services.db, 8 * 3600);
  const sid = await running.sessions.create('admin', false);
  const token = await tokens.issue({
    username: 'admin',
    roles: ['administrator'],
    scope: 'user/*.cruds',
    sid,
  });
  const patients = await services.repo.search({ type: 'Patient', params: [], count: 1 });
  const firstPatient = patients.entries[0]
    ? (JSON.parse(patients.entries[0].content) as { id: string }).id
    : undefined;
  const url = running.url;
  const lines = [
    '',
    `Chartroom demo is running at ${url} (FHIR R4 at ${url}/fhir/R4), data in ${services.config.dataDir}`,
    `Sample data: ${report.resources ? `${report.resources} resources loaded now` : 'already loaded'} from ${demoDir}`,
  ];
  if (services.firstAdmin?.generatedPassword)
    lines.push(`Administrator: admin / ${services.firstAdmin.generatedPassword} (shown once)`);
  lines.push(
    '',
    'An access token for the administrator, valid 8 hours:',
    `  export TOKEN=${token}`,
    '',
    'Try:',
    `  curl -s -H "Authorization: Bearer $TOKEN" '${url}/fhir/R4/Patient?_count=5'`,
    firstPatient
      ? `  curl -s -H "Authorization: Bearer $TOKEN" '${url}/fhir/R4/Observation?patient=${firstPatient}&code=http://loinc.org|29463-7'`
      : '',
    `  curl -s -H "Authorization: Bearer $TOKEN" '${url}/fhir/R4/Patient/_history?_count=3'`,
    '',
    'Stop with Ctrl-C; start again with the same command (the data is kept).',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = () => running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
