// No access goes unaudited, even when the server is killed: each audit entry is journaled to a local file
// before its response leaves, and the next start appends what the database misses (once, chain intact).
// A journal that cannot be written refuses the request instead of disclosing unaudited data.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath } from '../support/corpus.js';
import {
  ADMIN_PASSWORD,
  freshStorage,
  signInAdministrator,
  startTestServer,
  type TestServer,
  type TestStorage,
  testDb,
} from '../support/test-server.js';

const mainPath = path.join(path.dirname(cliPath), '..', 'main.js');

interface Child {
  proc: ChildProcess;
  url: string;
}

function env(st: TestStorage, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CHARTROOM_DATA_DIR: st.dataDir,
    DATABASE_URL: st.databaseUrl ?? '',
    CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CHARTROOM_PORT: '0',
    ...extra,
  };
}

/** `node dist/src/main.js` on this storage, once it listens. */
function startChild(st: TestStorage, extra: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, [mainPath], {
    env: env(st, extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    proc.stdout?.on('data', (d) => {
      out += String(d);
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.stderr?.on('data', (d) => {
      out += String(d);
    });
    proc.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${out}`)));
  });
}

function kill(c: Child, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
    c.proc.once('exit', () => resolve());
    c.proc.kill(signal);
  });
}

async function get(url: string, token: string) {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  return { status: r.status, text, body: text ? JSON.parse(text) : undefined };
}

async function post(url: string, token: string, body: unknown) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  return (await r.json()) as { id: string };
}

interface Entry {
  id: string;
  subtype: { code: string }[];
  entity: { what?: { reference?: string }; role?: { code: string } }[];
}

/** The audit report's entries (GET /audit), as an auditor sees them. */
async function report(url: string, token: string, query: string): Promise<Entry[]> {
  const r = await get(`${url}/audit?_count=1000&${query}`, token);
  assert.equal(r.status, 200, r.text);
  return (r.body.entry ?? []).map((e: { resource: Entry }) => e.resource);
}

const patientsOf = (e: Entry) =>
  e.entity
    .filter((x) => x.role?.code === '1')
    .map((x) => x.what?.reference)
    .sort();

describe('a server killed before its audit batch is written', () => {
  let st: TestStorage;
  let first: Child;
  let token: string;
  let p1: string;
  let p2: string;
  const journalDir = () => path.join(st.dataDir, 'audit-journal');
  let saved: { name: string; text: string }[] = [];

  before(async () => {
    st = await freshStorage('audit-journal');
    // The batch interval is an hour: nothing recorded after the start reaches the database by itself.
    first = await startChild(st, { CHARTROOM_AUDIT_FLUSH_MS: '3600000' });
    token = (await signInAdministrator(first.url)).token;
    p1 = (
      await post(`${first.url}/fhir/R4/Patient`, token, {
        resourceType: 'Patient',
        name: [{ family: 'Kay' }],
      })
    ).id;
    p2 = (
      await post(`${first.url}/fhir/R4/Patient`, token, {
        resourceType: 'Patient',
        name: [{ family: 'Lee' }],
      })
    ).id;
  });
  after(async () => {
    for (const c of [first]) if (c) await kill(c, 'SIGKILL');
    await st.drop();
  });

  test('reads, a vread and a search are served, and are not in the database yet', async () => {
    assert.equal((await get(`${first.url}/fhir/R4/Patient/${p1}`, token)).status, 200);
    assert.equal((await get(`${first.url}/fhir/R4/Patient/${p1}/_history/1`, token)).status, 200);
    assert.equal((await get(`${first.url}/fhir/R4/Patient/${p2}`, token)).status, 200);
    const found = await get(`${first.url}/fhir/R4/Patient?_id=${p1},${p2}`, token);
    assert.equal(found.body.entry.length, 2);
    const before = await report(first.url, token, 'action=read');
    assert.equal(before.length, 0, 'the reads are still waiting for their batch');
    const files = fs.readdirSync(journalDir());
    assert.ok(files.length >= 1, 'they are in the journal');
    saved = files.map((name) => ({ name, text: fs.readFileSync(path.join(journalDir(), name), 'utf8') }));
  });

  test('after SIGKILL and a restart, the audit report lists every read and search with its patients', async () => {
    await kill(first, 'SIGKILL');
    const second = await startChild(st);
    try {
      const reads = await report(second.url, token, 'action=read');
      assert.deepEqual(reads.map(patientsOf).sort(), [[`Patient/${p1}`], [`Patient/${p2}`]].sort());
      const vreads = await report(second.url, token, 'action=vread');
      assert.deepEqual(vreads.map(patientsOf), [[`Patient/${p1}`]]);
      const searches = await report(second.url, token, 'action=search-type');
      assert.deepEqual(searches.map(patientsOf), [[`Patient/${p1}`, `Patient/${p2}`].sort()]);
      const signIns = await report(second.url, token, 'user=admin');
      assert.ok(
        signIns.some((e) => e.subtype[0].code.startsWith('sign-in')),
        'the sign-in before the kill is there too',
      );
      const left = fs.readdirSync(journalDir());
      assert.deepEqual(
        saved.filter((f) => left.includes(f.name)),
        [],
        "the killed server's journal files are gone once replayed",
      );
    } finally {
      await kill(second, 'SIGTERM');
    }
  });

  test('replaying the same journal again adds no entry twice', async () => {
    for (const f of saved) fs.writeFileSync(path.join(journalDir(), f.name), f.text);
    const third = await startChild(st);
    try {
      const reads = await report(third.url, token, 'action=read');
      assert.equal(reads.length, 2);
      assert.equal(new Set(reads.map((e) => e.id)).size, 2);
      assert.equal((await report(third.url, token, 'action=search-type')).length, 1);
    } finally {
      await kill(third, 'SIGTERM');
    }
  });

  test('chartroom audit verify passes on the trail with the replayed entries', () => {
    const r = spawnSync(process.execPath, [cliPath, 'audit', 'verify'], { env: env(st), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /The audit trail is intact/);
  });
});

// PGlite is one process's database; several servers share PostgreSQL.
describe('several servers on one PostgreSQL and one data folder', { skip: testDb !== 'postgres' }, () => {
  let st: TestStorage;
  const children: Child[] = [];
  const start = async () => {
    const c = await startChild(st, { CHARTROOM_AUDIT_FLUSH_MS: '3600000' });
    children.push(c);
    return c;
  };
  before(async () => {
    st = await freshStorage('audit-journal-multi');
  });
  after(async () => {
    for (const c of children) await kill(c, 'SIGKILL');
    await st.drop();
  });

  test('a restarted server replays its own killed predecessor, never a live neighbour; the chain verifies', async () => {
    const a = await start();
    const b = await start();
    const { token } = await signInAdministrator(a.url);
    const p = (
      await post(`${a.url}/fhir/R4/Patient`, token, { resourceType: 'Patient', name: [{ family: 'Ames' }] })
    ).id;
    assert.equal((await get(`${a.url}/fhir/R4/Patient/${p}`, token)).status, 200);
    assert.equal((await get(`${b.url}/fhir/R4/Patient/${p}`, token)).status, 200);
    assert.equal((await get(`${b.url}/fhir/R4/Patient/${p}?_summary=true`, token)).status, 200);
    const readsOf = async (c: Child) => (await report(c.url, token, `patient=${p}&action=read`)).length;
    assert.equal(await readsOf(a), 0, 'no read is in the database yet');

    await kill(b, 'SIGKILL');
    const b2 = await start();
    assert.equal(
      await readsOf(b2),
      2,
      "the killed server's two reads are replayed; the live server's one is not",
    );
    assert.equal((await get(`${a.url}/fhir/R4/Patient/${p}`, token)).status, 200, 'the live server goes on');

    await kill(a, 'SIGKILL');
    const a2 = await start();
    assert.equal(await readsOf(a2), 4, 'its own two reads are replayed at its restart');
    for (const c of children) await kill(c, 'SIGTERM');
    const r = spawnSync(process.execPath, [cliPath, 'audit', 'verify'], { env: env(st), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});

describe('a journal that cannot be written', () => {
  let s: TestServer;
  let id: string;
  before(async () => {
    s = await startTestServer({ label: 'audit-journal-fail', config: { auditFsync: 'batch' } });
    id = (await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Unaudited' }] }))
      .body.id;
  });
  after(() => s.stop());

  test('refuses the read with a 503 OperationOutcome and discloses nothing; the refusal is audited', async () => {
    assert.equal((await s.request('GET', `/Patient/${id}`)).status, 200);
    await s.running.flushAudit(); // the journal's current file is done with
    const dir = s.running.services.config.auditJournalDir;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(dir, 'not a folder'); // new journal files cannot be created
    try {
      const refused = await s.request('GET', `/Patient/${id}`);
      assert.equal(refused.status, 503);
      assert.equal(refused.body.resourceType, 'OperationOutcome');
      assert.match(refused.body.issue[0].diagnostics, /audit record could not be written/);
      assert.doesNotMatch(refused.text, /Unaudited/);
      assert.equal(refused.headers.get('etag'), null);
      const search = await s.request('GET', `/Patient?family=Unaudited`);
      assert.equal(search.status, 503);
      assert.doesNotMatch(search.text, /Unaudited/);
    } finally {
      fs.rmSync(dir, { force: true });
      fs.mkdirSync(dir);
    }
    const again = await s.request('GET', `/Patient/${id}`);
    assert.equal(again.status, 200, 'with the journal back, reads are served again');
    await s.running.flushAudit();
    const entries = (
      await s.request('GET', `${s.url}/audit?patient=${id}&action=read&_count=100`)
    ).body.entry.map(
      (e: { resource: { entity: { description?: string }[] } }) => e.resource.entity.at(-1)?.description,
    );
    assert.deepEqual(entries, [
      `/fhir/R4/Patient/${id} -> 200`,
      `/fhir/R4/Patient/${id} -> 503`,
      `/fhir/R4/Patient/${id} -> 200`,
    ]);
  });
});
