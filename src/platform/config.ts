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
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const host = process.env.CHARTROOM_HOST ?? '127.0.0.1';
  const port = int('CHARTROOM_PORT', 8080);
  const cfg: Config = {
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: path.resolve(process.env.CHARTROOM_DATA_DIR ?? 'data'),
    host,
    port,
    baseUrl: process.env.CHARTROOM_BASE_URL ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    bodyLimit: int('CHARTROOM_BODY_LIMIT', 16 * 1024 * 1024),
    adminPassword: process.env.CHARTROOM_ADMIN_PASSWORD || undefined,
    tokenLifetime: int('CHARTROOM_TOKEN_LIFETIME', 3600),
    logLevel: process.env.CHARTROOM_LOG_LEVEL ?? 'info',
    poolSize: int('CHARTROOM_DB_POOL', 10),
    ...overrides,
  };
  return cfg;
}
