// Configuration from environment variables, with the defaults documented in docs/configuration.md.
import path from 'node:path';

export interface Config {
  /** postgres://... to use PostgreSQL; unset means the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined;
  /** Folder for the embedded database, keys and import journals. */
  dataDir: string;
  host: string;
  port: number;
  /** Public base URL used in Bundle links and Location headers. */
  baseUrl: string;
  /** Maximum request body in bytes. */
  bodyLimit: number;
  /** Password for the first administrator, used only when no user exists yet. */
  adminPassword: string | undefined;
  /** Access-token lifetime in seconds. */
  tokenLifetime: number;
  logLevel: string;
  /** PostgreSQL pool size. */
  poolSize: number;
  /** Key that encrypts secrets at rest (32 bytes, hex or base64); generated into dataDir when unset. */
  secretKey: string | undefined;
  /** A session ends after this many seconds without a request. */
  sessionIdleSeconds: number;
  /** ... and after this many seconds in any case. */
  sessionMaxSeconds: number;
  /** Failed sign-ins in a row that lock an account, and for how long. */
  lockoutAttempts: number;
  lockoutSeconds: number;
  /** Who must use a second factor: privileged roles (default), everyone, or nobody (tests of other things). */
  mfa: 'privileged' | 'all' | 'off';
  passwordMinLength: number;
  /** PEM files of the certificate and key: when both are set, Chartroom serves HTTPS (and HSTS). */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** How long a break-the-glass grant lasts, in seconds. */
  breakGlassSeconds: number;
  /** How long the files of a finished bulk export are kept, in seconds. */
  exportTtlSeconds: number;
  /** Lines per bulk-export NDJSON file: a larger type is split into several files. */
  exportFileLines: number;
  /** Folder of the audit journal (each record is written here before its response leaves). */
  auditJournalDir: string;
  /** When the journal is forced to disk: off (survives a killed process), batch, always (also a power cut). */
  auditFsync: 'off' | 'batch' | 'always';
  /** Milliseconds between batched appends of audit records to the database. */
  auditFlushMs: number;
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function mfaSetting(raw: string | undefined): Config['mfa'] {
  if (raw === undefined || raw === '') return 'privileged';
  if (raw === 'privileged' || raw === 'all' || raw === 'off') return raw;
  throw new Error(`CHARTROOM_MFA must be privileged, all or off, got "${raw}"`);
}

function fsyncSetting(raw: string | undefined): Config['auditFsync'] {
  if (raw === undefined || raw === '') return 'off';
  if (raw === 'off' || raw === 'batch' || raw === 'always') return raw;
  throw new Error(`CHARTROOM_AUDIT_FSYNC must be off, batch or always, got "${raw}"`);
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const host = process.env.CHARTROOM_HOST ?? '127.0.0.1';
  const port = int('CHARTROOM_PORT', 8080);
  const dataDir = path.resolve(overrides.dataDir ?? process.env.CHARTROOM_DATA_DIR ?? 'data');
  const cfg: Config = {
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir,
    host,
    port,
    baseUrl:
      process.env.CHARTROOM_BASE_URL ??
      `${process.env.CHARTROOM_TLS_CERT ? 'https' : 'http'}://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    bodyLimit: int('CHARTROOM_BODY_LIMIT', 16 * 1024 * 1024),
    adminPassword: process.env.CHARTROOM_ADMIN_PASSWORD || undefined,
    tokenLifetime: int('CHARTROOM_TOKEN_LIFETIME', 3600),
    logLevel: process.env.CHARTROOM_LOG_LEVEL ?? 'info',
    poolSize: int('CHARTROOM_DB_POOL', 10),
    secretKey: process.env.CHARTROOM_SECRET_KEY || undefined,
    sessionIdleSeconds: int('CHARTROOM_SESSION_IDLE', 900),
    sessionMaxSeconds: int('CHARTROOM_SESSION_MAX', 12 * 3600),
    lockoutAttempts: int('CHARTROOM_LOCKOUT_ATTEMPTS', 5),
    lockoutSeconds: int('CHARTROOM_LOCKOUT_SECONDS', 900),
    mfa: mfaSetting(process.env.CHARTROOM_MFA),
    passwordMinLength: int('CHARTROOM_PASSWORD_MIN_LENGTH', 12),
    tlsCert: process.env.CHARTROOM_TLS_CERT || undefined,
    tlsKey: process.env.CHARTROOM_TLS_KEY || undefined,
    breakGlassSeconds: int('CHARTROOM_BREAK_GLASS_SECONDS', 3600),
    exportTtlSeconds: int('CHARTROOM_EXPORT_TTL', 24 * 3600),
    exportFileLines: Math.max(1, int('CHARTROOM_EXPORT_FILE_LINES', 100_000)),
    auditJournalDir: path.resolve(dataDir, process.env.CHARTROOM_AUDIT_JOURNAL_DIR || 'audit-journal'),
    auditFsync: fsyncSetting(process.env.CHARTROOM_AUDIT_FSYNC),
    auditFlushMs: Math.max(1, int('CHARTROOM_AUDIT_FLUSH_MS', 50)),
    ...overrides,
  };
  return cfg;
}
