// Starts a real Chartroom server for a test file, on the database the run asks for
// (CHARTROOM_TEST_DB=pglite|postgres), each on fresh storage, and gives a signed-in HTTP client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/platform/config.js';
import { currentTotp } from '../../src/security/identity/totp.js';
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
  /** The administrator's TOTP secret (set up by the first sign-in, as a real administrator would). */
  totpSecret: string;
  /** fetch against the FHIR base with the admin token and FHIR JSON headers. */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /** Creates an account with these roles (as the administrator does) and signs it in: its access token. */
  addUser(username: string, roles: string[], password?: string): Promise<string>;
  stop(): Promise<void>;
}

export const USER_PASSWORD = 'juniper canyon marble 8812';

export interface TestResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  body: any;
  text: string;
}

export async function startTestServer(
  opts: { bodyLimit?: number; label?: string; config?: Partial<Config> } = {},
): Promise<TestServer> {
  const storage = await freshStorage(opts.label);
  const running = await startServer({
    databaseUrl: storage.databaseUrl,
    dataDir: storage.dataDir,
    port: 0,
    adminPassword: ADMIN_PASSWORD,
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
    ...opts.config,
  });
  const url = running.url;
  const { token, totpSecret } = await signInAdministrator(url);
  const server: TestServer = {
    url,
    fhir: `${url}/fhir/R4`,
    token,
    running,
    storage,
    totpSecret,
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
    async addUser(username, roles, password = USER_PASSWORD) {
      const created = await server.request(
        'POST',
        `${url}/admin/users`,
        { username, password, roles },
        { 'content-type': 'application/json' },
      );
      if (created.status !== 201) throw new Error(`creating ${username} failed: ${created.text}`);
      return (await signInUser(url, username, password)).token;
    },
    async stop() {
      await running.close();
      await storage.drop();
    },
  };
  return server;
}

export async function postForm(
  url: string,
  form: Record<string, string>,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * Signs a user in as a person would: when the role requires a second factor and none is set up yet, it
 * is set up first (enroll, activate with a code from the secret); then password plus the current code.
 */
export async function signInUser(
  url: string,
  username: string,
  password: string,
  knownSecret?: string,
): Promise<{ token: string; totpSecret: string }> {
  let secret = knownSecret;
  if (!secret) {
    const first = await postForm(`${url}/auth/token`, { grant_type: 'password', username, password });
    if (first.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(first.body)}`);
    const limited = first.body.access_token as string;
    if (!first.body.mfa_enrollment_required) return { token: limited, totpSecret: '' };
    const enrolled = await postForm(`${url}/auth/mfa/enroll`, {}, limited);
    secret = enrolled.body.secret as string;
    const activated = await postForm(
      `${url}/auth/mfa/activate`,
      { code: currentTotp(secret, username) },
      limited,
    );
    if (activated.status !== 204) throw new Error(`MFA activation failed: ${JSON.stringify(activated.body)}`);
  }
  const r = await postForm(`${url}/auth/token`, {
    grant_type: 'password',
    username,
    password,
    totp: await unusedTotp(secret, username),
  });
  if (r.status !== 200) throw new Error(`sign-in with TOTP failed: ${JSON.stringify(r.body)}`);
  return { token: r.body.access_token as string, totpSecret: secret };
}

const PERIOD_MS = 30_000;
const lastStep = new Map<string, number>();

/**
 * A code of a time step this secret has not signed in with yet (the server takes each code once): the
 * current period's, else the next one's (accepted within the window), else after waiting for the next
 * period.
 */
export async function unusedTotp(secret: string, username: string): Promise<string> {
  for (;;) {
    const now = Date.now();
    const step = Math.floor(now / PERIOD_MS);
    const want = Math.max(step, (lastStep.get(secret) ?? step - 1) + 1);
    if (want <= step + 1) {
      lastStep.set(secret, want);
      return currentTotp(secret, username, want * PERIOD_MS + 1);
    }
    await new Promise((resolve) => setTimeout(resolve, (step + 1) * PERIOD_MS - now + 20));
  }
}

export function signInAdministrator(
  url: string,
  knownSecret?: string,
): Promise<{ token: string; totpSecret: string }> {
  return signInUser(url, 'admin', ADMIN_PASSWORD, knownSecret);
}
