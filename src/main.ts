// `npm start`: runs the Chartroom server until SIGINT/SIGTERM, then stops gracefully.
import { startServer } from './server.js';
import { patientKeysReady } from './store/index-patient-keys.js';
import { pendingReindexes } from './store/reindex.js';

const running = await startServer().catch((err: Error) => {
  process.stderr.write(`Chartroom could not start: ${err.message}\n`);
  process.exit(1);
});
const { config, firstAdmin } = running.services;
const where = config.databaseUrl ? 'PostgreSQL' : `the embedded database in ${config.dataDir}`;
process.stdout.write(
  `Chartroom is listening on ${running.url} (FHIR R4 at ${running.url}/fhir/R4), data in ${where}\n`,
);
if (!(await patientKeysReady(running.services.db)))
  process.stdout.write(
    '\nThis database was written by a version before 019: patient searches by code take the slower path\n' +
      'until `chartroom index-patient-keys` has run (docs/search.md, "Upgrading": on PostgreSQL it can run\n' +
      'while the server does; the embedded database needs the server stopped).\n',
  );
const reindex = await pendingReindexes(running.services.db);
if (reindex.length)
  process.stdout.write(
    `\nThis database was indexed by an earlier version: ${reindex.map(([t, why]) => `${t} (${why})`).join('; ')}.\n` +
      `Searches miss those values until \`chartroom reindex ${[...new Set(reindex.map(([t]) => t))].join(' ')}\` has run\n` +
      '(README.md, "Upgrading"; on PostgreSQL it can run while the server does, the embedded database needs the server stopped).\n',
  );
if (firstAdmin?.generatedPassword) {
  process.stdout.write(
    `\nFirst start: the administrator account is "${firstAdmin.username}" with the password\n\n    ${firstAdmin.generatedPassword}\n\n` +
      'It is shown only this once: keep it somewhere safe. Administrators sign in with a second factor;\n' +
      'the first sign-in sets it up (README.md, "Running it for real"):\n' +
      `    curl -s -X POST ${running.url}/auth/token -d grant_type=password -d username=admin -d password='${firstAdmin.generatedPassword}'\n\n`,
  );
}

// A graceful stop: finish the requests in flight, write the audit records still pending, close the
// database (PGlite writes its files), then exit. A second signal exits at once.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    running.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`Chartroom stopped with an error: ${err.message}\n`);
        process.exit(1);
      },
    );
  });
}
