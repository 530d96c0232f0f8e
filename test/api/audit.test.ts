// The audit trail: every access recorded with who, what and which patients; append-only in the
// database; a hash chain whose verification finds any altered, deleted or reordered entry; a report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { verifyChain } from '../../src/security/audit/chain.js';
import { auditInOrder } from '../../src/store/audit-log.js';
import { cliPath } from '../support/corpus.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let patientId: string;
before(async () => {
  s = await startTestServer({ label: 'audit' });
  patientId = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Audited' }] })
  ).body.id;
  await s.request('GET', `/Patient/${patientId}`);
  await s.request('GET', `/Patient?_id=${patientId}`);
  await s.running.flushAudit();
});
after(() => s.stop());

const db = () => s.running.services.db;
const verify = () => verifyChain(auditInOrder(db()));

describe('recording', () => {
  test('reads, searches and writes are recorded with the user and the patients they touched', async () => {
    const r = await s.request('GET', `${s.url}/audit?patient=${patientId}`);
    assert.equal(r.status, 200);
    const subtypes = r.body.entry.map(
      (e: { resource: { subtype: { code: string }[] } }) => e.resource.subtype[0].code,
    );
    assert.ok(
      subtypes.includes('create') && subtypes.includes('read') && subtypes.includes('search-type'),
      JSON.stringify(subtypes),
    );
    for (const e of r.body.entry) assert.equal(e.resource.agent[0].who.display, 'admin');
  });

  test('the report filters by user, action and date, and exports NDJSON', async () => {
    const byAction = await s.request('GET', `${s.url}/audit?action=read&user=admin`);
    assert.ok(byAction.body.entry.length >= 1);
    assert.equal(
      (await s.request('GET', `${s.url}/audit?from=2000-01-01&to=2000-12-31`)).body.entry.length,
      0,
    );
    const nd = await s.request('GET', `${s.url}/audit?_format=ndjson&action=read`);
    assert.ok(
      nd.text
        .trim()
        .split('\n')
        .every((l: string) => JSON.parse(l).resourceType === 'AuditEvent'),
    );
    assert.equal((await s.request('GET', `${s.url}/audit?from=yesterday`)).status, 400);
  });
});

describe('writes and their audit entries', () => {
  test('a write and its audit entry commit together: the entry is there as soon as the response is', async () => {
    const created = await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Committed' }],
    });
    assert.equal(created.status, 201);
    const rows = await db().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_event WHERE action = 'create' AND content LIKE $1",
      [`%Patient/${created.body.id}%`],
    );
    assert.equal(rows.rows[0].n, 1);
  });

  test('a failed write leaves neither data nor a success entry; the failure itself is audited', async () => {
    const before = await db().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_event WHERE action = 'create' AND outcome = '201'",
    );
    const bad = await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      gender: 'sometimes',
      identifier: [{ system: 'urn:t', value: 'failed-write' }],
    });
    assert.equal(bad.status, 400);
    assert.equal((await s.request('GET', '/Patient?identifier=urn:t|failed-write')).body.entry.length, 0);
    await s.running.flushAudit();
    const after = await db().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_event WHERE action = 'create' AND outcome = '201'",
    );
    assert.equal(after.rows[0].n, before.rows[0].n);
    const failures = await db().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_event WHERE outcome = '400'",
    );
    assert.ok(failures.rows[0].n >= 1);
  });
});

describe('tamper evidence', () => {
  test('the database refuses to update or delete an entry', async () => {
    await assert.rejects(db().query("UPDATE audit_event SET action = 'nothing'"), /append-only/);
    await assert.rejects(db().query('DELETE FROM audit_event'), /append-only/);
  });

  test('verify passes on the untouched trail, then finds an altered, a deleted and a reordered entry', async () => {
    const clean = await verify();
    const dump = async () =>
      JSON.stringify(
        (
          await db().query(
            'SELECT seq::text, action, left(prev_hash, 6) p, left(hash, 6) h FROM audit_event ORDER BY audit_event.seq',
          )
        ).rows,
      );
    assert.equal(clean.ok, true, `${JSON.stringify(clean)} ${await dump()}`);
    assert.ok(clean.checked >= 5);
    // Someone with the rights to switch the trigger off tampers; the chain shows where.
    const rows = (
      await db().query<{ seq: string }>('SELECT seq::text AS seq FROM audit_event ORDER BY audit_event.seq')
    ).rows.map((r) => r.seq);
    const off = 'ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete';
    const on = 'ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_or_delete';

    await db().query(off);
    await db().query("UPDATE audit_event SET username = 'someone-else' WHERE seq = $1", [rows[2]]);
    await db().query(on);
    let r = await verify();
    assert.equal(r.ok, false);
    assert.equal(r.broken?.seq, rows[2], JSON.stringify(r));
    assert.match(r.broken?.reason ?? '', /altered/);

    await db().query(off);
    await db().query("UPDATE audit_event SET username = 'admin' WHERE seq = $1", [rows[2]]);
    assert.equal((await verify()).ok, true, 'restoring the value restores the chain');
    await db().query('DELETE FROM audit_event WHERE seq = $1', [rows[3]]);
    r = await verify();
    assert.equal(r.broken?.seq, rows[4]);
    assert.match(r.broken?.reason ?? '', /deleted/);

    // Reorder: swap the contents of two later entries.
    await db().query(
      `UPDATE audit_event a SET content = b.content, action = b.action, outcome = b.outcome, patients = b.patients, prev_hash = b.prev_hash, hash = b.hash
         FROM audit_event b WHERE (a.seq, b.seq) IN (($1::bigint, $2::bigint), ($2::bigint, $1::bigint))`,
      [rows[0], rows[1]],
    );
    await db().query(on);
    r = await verify();
    assert.equal(r.ok, false);
    assert.equal(r.broken?.seq, rows[0]);
  });
});

describe('verify from the command line', () => {
  test('chartroom audit verify names the first broken entry and exits 3', async () => {
    if (s.storage.databaseUrl === undefined) return; // the embedded database is held by the running server
    const out = spawnSync(process.execPath, [cliPath, 'audit', 'verify'], {
      env: { ...process.env, DATABASE_URL: s.storage.databaseUrl, CHARTROOM_DATA_DIR: s.storage.dataDir },
      encoding: 'utf8',
    });
    assert.equal(out.status, 3, out.stderr);
    assert.match(out.stdout, /BROKEN at entry \d+/);
  });
});
