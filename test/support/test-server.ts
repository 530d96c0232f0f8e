// Starts a real Chartroom server for a test file, on the database the run asks for
// (CHARTROOM_TEST_DB=pglite|postgres), each on fresh storage, and gives a signed-in HTTP client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Running, startServer } from '../../src/server.js';

export const PG_ADMIN_URL = process.env.CHARTROOM_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const testDb = (process.env.CHARTROOM_TEST_DB ?? 'pglite') as 'pglite' | 'postgres';

export interface TestStorage {
  dataDir: string;
  databaseUrl?: string;
  drop(): Promise<void>;
}

/** Fresh storage: a new temporary folder, and on PostgreSQL a new database. */
export async function freshStorage(label = 'test'): Promise<TestStorage> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `chartroom-${label}-`));
  if (testDb !== 'postgres') {
    return { dataDir, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `chartroom_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now()}`.toLowerCase();
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dataDir,
    databaseUrl: url.toString(),
    drop: async () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const ADMIN_PASSWORD = 'correct horse battery staple 42';

export interface TestServer {
  url: string;
  fhir: string;
  token: string;
  running: Running;
  storage: TestStorage;
  /** fetch against the FHIR base with the admin token and FHIR JSON headers. */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  stop(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  body: any;
  text: string;
}

export async function startTestServer(
  opts: { bodyLimit?: number; label?: string } = {},
): Promise<TestServer> {
  const storage = await freshStorage(opts.label);
  const running = await startServer({
    databaseUrl: storage.databaseUrl,
    dataDir: storage.dataDir,
    port: 0,
    adminPassword: ADMIN_PASSWORD,
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
  });
  const url = running.url;
  const tokenRes = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const server: TestServer = {
    url,
    fhir: `${url}/fhir/R4`,
    token,
    running,
    storage,
    async request(method, p, body, headers = {}) {
      const res = await fetch(p.startsWith('http') ? p : `${url}/fhir/R4${p}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    async stop() {
      await running.close();
      await storage.drop();
    },
  };
  return server;
}
