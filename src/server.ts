// Starting Chartroom: configuration -> database -> migrations -> definitions -> audit journal replay ->
// services -> HTTP.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { AuditWriter } from './api/audit-writer.js';
import type { AppContext } from './api/context.js';
import { exportFinishedAudit } from './api/fhir/bulk-export.js';
import { loadDefinitions } from './fhir/definitions.js';
import { type Config, loadConfig } from './platform/config.js';
import { SecretBox } from './platform/crypto/secret-box.js';
import { type Database, openDatabase } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { AuditJournal } from './security/audit/journal.js';
import { replayJournals } from './security/audit/replay-journal.js';
import { SessionService } from './security/identity/sessions.js';
import { ensureAdministrator } from './security/identity/sign-in.js';
import { TokenService } from './security/oauth/tokens.js';
import { ExportRunner } from './store/export/run-export.js';
import { restoreDeferredIndexes } from './store/import/deferred-indexes.js';
import { ParamRegistry } from './store/param-registry.js';
import { Repository } from './store/repository.js';
import { verifySecretKey } from './store/secret-key-check.js';
import { SsnSealer } from './store/ssn-sealing.js';

export interface Services {
  config: Config;
  db: Database;
  repo: Repository;
  /** The key of the sealed values (TOTP seeds, SSNs), checked against the database at start. */
  box: SecretBox;
  /** Set when this start created the administrator with a generated password (to show once). */
  firstAdmin?: { username: string; generatedPassword?: string };
}

/** Opens the database, applies migrations and loads the definitions: everything but HTTP. */
export async function openServices(overrides: Partial<Config> = {}): Promise<Services> {
  const config = loadConfig(overrides);
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.poolSize,
  });
  try {
    // an import killed while it held the secondary indexes back: build them before anything reads
    await restoreDeferredIndexes(db);
    await migrate(db);
    const box = SecretBox.fromConfig(config.secretKey, config.dataDir);
    await verifySecretKey(db, box);
    loadDefinitions();
    const params = await ParamRegistry.load(db);
    const firstAdmin = await ensureAdministrator(db, config.adminPassword);
    return { config, db, box, repo: new Repository(db, params, new SsnSealer(box), db), firstAdmin };
  } catch (err) {
    await db.close();
    throw err;
  }
}

export interface Running {
  app: FastifyInstance;
  services: Services;
  sessions: SessionService;
  url: string;
  /** Writes the audit entries recorded so far (tests and shutdown). */
  flushAudit(): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(overrides: Partial<Config> = {}): Promise<Running> {
  const services = await openServices(overrides);
  const { config, db, repo } = services;
  const tokens = await TokenService.load(db, config.tokenLifetime);
  // Entries a killed predecessor journaled but did not store go in first, before any request.
  await replayJournals(db, config.auditJournalDir);
  const audit = new AuditWriter(
    db,
    new AuditJournal(config.auditJournalDir, config.auditFsync),
    config.auditFlushMs,
  );
  const sessions = new SessionService(db, config.sessionIdleSeconds, config.sessionMaxSeconds);
  const exports = new ExportRunner(
    db,
    {
      dir: path.join(config.dataDir, 'exports'),
      linesPerFile: config.exportFileLines,
      ttlSeconds: config.exportTtlSeconds,
    },
    (job, status) => exportFinishedAudit(db, audit, config, job, status),
  );
  await exports.init();
  const ctx: AppContext = {
    config,
    db,
    repo,
    tokens,
    audit,
    sessions,
    box: services.box,
    exports,
  };
  const app = buildApp(ctx);
  const address = await app.listen({ host: config.host, port: config.port });
  if (config.port === 0) {
    const port = Number(new URL(address).port);
    config.port = port;
    config.baseUrl = `${config.tlsCert && config.tlsKey ? 'https' : 'http'}://${config.host}:${port}`;
  }
  return {
    app,
    services,
    sessions,
    url: config.baseUrl,
    flushAudit: () => audit.flush(),
    async close() {
      await app.close();
      await exports.close();
      await audit.flush();
      audit.close();
      await db.close();
    },
  };
}
