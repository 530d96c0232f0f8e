// Social Security numbers encrypted at rest: no SSN digits in the database after an API write or an import
// of Synthea bundles, the number read back whole by a registrar and masked for a coder on every read path,
// search by SSN through the blind index, PATCH, update and transactions keeping it, bulk export files holding it for an
// administrator, sealing of a database written before, and a wrong key refused at start.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/platform/db/database.js';
import { startServer } from '../../src/server.js';
import { sealExistingSsns } from '../../src/store/seal-existing-ssns.js';
import { cliPath, corpusFiles, readBundle } from '../support/corpus.js';
import {
  ADMIN_PASSWORD,
  freshStorage,
  signInAdministrator,
  startTestServer,
  type TestServer,
} from '../support/test-server.js';

const SYSTEM = 'http://hl7.org/fhir/sid/us-ssn';
const SSN = '999-12-3456';

type Identified = { identifier?: { system?: string; value?: string }[] };
const ssnOf = (r: Identified) => r.identifier?.find((i) => i.system === SYSTEM)?.value;

/** Rows of the tables that could hold an SSN, as text, that contain its digits (with or without dashes). */
async function rowsWithDigits(db: Database, ssn: string): Promise<string[]> {
  const digits = ssn.replace(/\D/g, '');
  const patterns = [`%${ssn}%`, `%${digits}%`];
  const found: string[] = [];
  const checks: [string, string][] = [
    ['resource_version', 'content'],
    ['sp_token', 'code'],
    ['sp_token', 'text'],
    ['sp_string', 'value'],
    ['sp_string', 'raw'],
    ['sp_text', 'narrative::text'],
    ['sp_text', 'content::text'],
    ['audit_event', 'content'],
    ['export_job', 'request'],
    ['export_job', 'spec'],
  ];
  for (const [table, column] of checks) {
    const r = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE ${column} LIKE ANY($1::text[])`,
      [patterns],
    );
    if (r.rows[0].n > 0) found.push(`${table}.${column}`);
  }
  return found;
}

describe('through the API', () => {
  let s: TestServer;
  let patient: string;
  const tokens: Record<string, string> = {};
  const as = (role: string, method: string, path: string, body?: unknown, headers = {}) =>
    s.request(method, path, body, { authorization: `Bearer ${tokens[role]}`, ...headers });

  before(async () => {
    s = await startTestServer({ label: 'ssn' });
    const created = await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Sealed', given: ['Sam'] }],
      gender: 'male',
      identifier: [
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS' }] },
          system: SYSTEM,
          value: SSN,
        },
        { system: 'urn:mrn', value: 'S-1' },
      ],
    });
    assert.equal(created.status, 201, created.text);
    patient = created.body.id;
    const enc = await s.request('POST', '/Encounter', {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${patient}` },
    });
    assert.equal(enc.status, 201, enc.text);
    for (const role of ['coder', 'registrar']) tokens[role] = await s.addUser(`${role}-ssn`, [role]);
    tokens.admin = s.token;
  });
  after(() => s.stop());

  test('after an API create the database holds the SSN sealed, and its digits nowhere', async () => {
    const db = s.running.services.db;
    const stored = await db.query<{ content: string }>(
      'SELECT v.content FROM resource_version v JOIN resource r USING (rid) WHERE r.type = $1 AND r.id = $2',
      ['Patient', patient],
    );
    assert.match(ssnOf(JSON.parse(stored.rows[0].content)) ?? '', /^chartroom-sealed:[0-9a-f]{8}:v1\./);
    await s.running.flushAudit();
    assert.deepEqual(await rowsWithDigits(db, SSN), []);
  });

  test('a registrar reads the number exactly, a coder sees ***-**-3456, on every read path', async () => {
    const paths: [string, (b: { entry: { resource: Identified }[] } & Identified) => Identified][] = [
      [`/Patient/${patient}`, (b) => b],
      [`/Patient/${patient}/_history/1`, (b) => b],
      [`/Patient/${patient}/_history`, (b) => b.entry[0].resource],
      ['/Patient?name=sealed', (b) => b.entry[0].resource],
      [
        `/Encounter?subject=Patient/${patient}&_include=Encounter:subject`,
        (b) =>
          b.entry.find((e) => (e.resource as { resourceType: string }).resourceType === 'Patient')
            ?.resource as Identified,
      ],
      [
        `/Patient/${patient}/$everything`,
        (b) =>
          b.entry.find((e) => (e.resource as { resourceType: string }).resourceType === 'Patient')
            ?.resource as Identified,
      ],
    ];
    for (const [path, pick] of paths) {
      const reg = await as('registrar', 'GET', path);
      assert.equal(reg.status, 200, `${path}: ${reg.text}`);
      assert.equal(ssnOf(pick(reg.body)), SSN, path);
      const cod = await as('coder', 'GET', path);
      assert.equal(cod.status, 200, `${path}: ${cod.text}`);
      assert.equal(ssnOf(pick(cod.body)), '***-**-3456', path);
      assert.ok(!cod.text.includes('chartroom-sealed') && !reg.text.includes('chartroom-sealed'), path);
    }
  });

  test('a transaction writes the number sealed and it reads back whole', async () => {
    const t = await as('registrar', 'POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Patient',
            name: [{ family: 'Bundled' }],
            identifier: [{ system: SYSTEM, value: '999-77-1111' }],
          },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    });
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(await rowsWithDigits(s.running.services.db, '999-77-1111'), []);
    const location = t.body.entry[0].response.location as string;
    const read = await as('registrar', 'GET', `/${location.split('/_history')[0]}`);
    assert.equal(ssnOf(read.body), '999-77-1111');
  });

  test('search by SSN finds the patient, with or without dashes or system; :text and _content do not', async () => {
    for (const q of [
      `identifier=${SYSTEM}|${SSN}`,
      `identifier=${SYSTEM}|999123456`,
      `identifier=${SSN}`,
      'identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|SS|999-12-3456',
    ]) {
      const r = await as('registrar', 'GET', `/Patient?${q.replace(/\|/g, '%7C')}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        r.body.entry?.map((e: { resource: { id: string } }) => e.resource.id),
        [patient],
        q,
      );
    }
    for (const q of [`identifier=${SYSTEM}|999-12-3457`, `_content=${SSN}`, '_content=3456']) {
      const r = await as('registrar', 'GET', `/Patient?${q.replace(/\|/g, '%7C')}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.entry?.length ?? 0, 0, q);
    }
  });

  test('PATCH starts from the number (a test op passes) and keeps it sealed; an unchanged update writes nothing', async () => {
    const patched = await as(
      'registrar',
      'PATCH',
      `/Patient/${patient}`,
      [
        { op: 'test', path: '/identifier/0/value', value: SSN },
        { op: 'replace', path: '/gender', value: 'female' },
      ],
      { 'content-type': 'application/json-patch+json' },
    );
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.gender, 'female');
    assert.equal(ssnOf(patched.body), SSN);

    const current = (await as('registrar', 'GET', `/Patient/${patient}`)).body;
    const same = await as('registrar', 'PUT', `/Patient/${patient}`, current);
    assert.equal(same.status, 200, same.text);
    assert.equal(same.body.meta.versionId, current.meta.versionId, 'an unchanged resource is no new version');

    const updated = await as('registrar', 'PUT', `/Patient/${patient}`, { ...current, gender: 'other' });
    assert.equal(updated.body.meta.versionId, String(Number(current.meta.versionId) + 1));
    assert.equal(ssnOf((await as('registrar', 'GET', `/Patient/${patient}`)).body), SSN);
    assert.equal(ssnOf((await as('coder', 'GET', `/Patient/${patient}`)).body), '***-**-3456');
    assert.deepEqual(await rowsWithDigits(s.running.services.db, SSN), []);
  });

  test('a stored sealed value sent back is refused with an OperationOutcome', async () => {
    const r = await as('registrar', 'POST', '/Patient', {
      resourceType: 'Patient',
      identifier: [{ system: SYSTEM, value: 'chartroom-sealed:00000000:v1.AA.AA.AA' }],
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.resourceType, 'OperationOutcome');
  });

  test('bulk export files hold the number for an administrator; the job rows hold none', async () => {
    const kick = await fetch(
      `${s.fhir}/Patient/$export?_type=Patient&_typeFilter=${encodeURIComponent(`Patient?identifier=${SYSTEM}|${SSN}`)}`,
      { headers: { authorization: `Bearer ${s.token}`, prefer: 'respond-async' } },
    );
    assert.equal(kick.status, 202, await kick.text());
    const status = kick.headers.get('content-location') as string;
    let manifest: { request: string; output: { url: string }[] } | undefined;
    for (let i = 0; i < 600 && !manifest; i++) {
      const p = await fetch(status, { headers: { authorization: `Bearer ${s.token}` } });
      if (p.status === 200) manifest = await p.json();
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(manifest, 'the export finishes');
    assert.ok(!manifest.request.includes('3456') || manifest.request.includes('***-**-3456'));
    const lines: Identified[] = [];
    for (const o of manifest.output) {
      const text = await (await fetch(o.url, { headers: { authorization: `Bearer ${s.token}` } })).text();
      for (const l of text.split('\n').filter(Boolean)) lines.push(JSON.parse(l));
    }
    assert.deepEqual(
      lines.map((p) => ssnOf(p)),
      [SSN],
      'the one patient the filter selects, its number opened',
    );
    assert.deepEqual(await rowsWithDigits(s.running.services.db, SSN), []);
  });

  test('a database written before sealing (plain SSNs in content and index) is sealed by seal-ssns', async () => {
    const db = s.running.services.db;
    const legacy = '999-55-1234';
    const created = await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Legacy' }],
      identifier: [{ system: SYSTEM, value: '999-00-0000' }],
    });
    // what an older version wrote: the number in the JSON and in sp_token
    const rid = (
      await db.query<{ rid: string }>(
        "SELECT rid::text AS rid FROM resource WHERE type = 'Patient' AND id = $1",
        [created.body.id],
      )
    ).rows[0].rid;
    const plain = { ...created.body, identifier: [{ system: SYSTEM, value: legacy }] };
    await db.query('UPDATE resource_version SET content = $2 WHERE rid = $1::bigint', [
      rid,
      JSON.stringify(plain),
    ]);
    await db.query('UPDATE sp_token SET code = $2 WHERE rid = $1::bigint AND system = $3', [
      rid,
      legacy,
      SYSTEM,
    ]);
    assert.deepEqual(await rowsWithDigits(db, legacy), ['resource_version.content', 'sp_token.code']);

    const { repo } = s.running.services;
    const first = await sealExistingSsns(db, repo.params, repo.ssn);
    assert.equal(first.sealed, 1);
    assert.deepEqual(await rowsWithDigits(db, legacy), []);
    assert.equal((await sealExistingSsns(db, repo.params, repo.ssn)).sealed, 0, 'a second run seals nothing');

    assert.equal(ssnOf((await as('registrar', 'GET', `/Patient/${created.body.id}`)).body), legacy);
    const found = await as('registrar', 'GET', `/Patient?identifier=${SYSTEM}%7C999551234`);
    assert.deepEqual(
      found.body.entry?.map((e: { resource: { id: string } }) => e.resource.id),
      [created.body.id],
    );
  });
});

describe('import and key', () => {
  test('an imported Synthea bundle holds no SSN digits; the server reads them back; a wrong key is refused at start', async () => {
    const st = await freshStorage('ssnimport');
    try {
      const file = corpusFiles('synthea-fhir-r4').find((f) => !/Information/.test(f)) as string;
      const bundlePatient = readBundle(file).entry.find((e) => e.resource.resourceType === 'Patient')
        ?.resource as { id: string } & Identified;
      const ssn = ssnOf(bundlePatient) as string;
      assert.match(ssn, /^\d{3}-\d{2}-\d{4}$/);
      const key = randomBytes(32).toString('hex');
      const env = {
        ...process.env,
        CHARTROOM_DATA_DIR: st.dataDir,
        DATABASE_URL: st.databaseUrl ?? '',
        CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
        CHARTROOM_SECRET_KEY: key,
      };
      const r = spawnSync(process.execPath, [cliPath, 'import', '--quiet', file], { env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);

      const opts = {
        dataDir: st.dataDir,
        databaseUrl: st.databaseUrl,
        port: 0,
        adminPassword: ADMIN_PASSWORD,
      };
      const wrong = startServer({ ...opts, secretKey: randomBytes(32).toString('hex') });
      await assert.rejects(
        wrong,
        /secret key .* is not the one this database's encrypted values were written with/,
      );
      const missing = startServer({ ...opts, secretKey: undefined });
      await assert.rejects(missing, /secret key/, 'no key: the generated one does not match either');

      const running = await startServer({ ...opts, secretKey: key });
      try {
        assert.deepEqual(await rowsWithDigits(running.services.db, ssn), []);
        const { token } = await signInAdministrator(running.url);
        const get = async (p: string) =>
          (
            await fetch(`${running.url}/fhir/R4${p}`, { headers: { authorization: `Bearer ${token}` } })
          ).json();
        assert.equal(ssnOf(await get(`/Patient/${bundlePatient.id}`)), ssn);
        const found = await get(`/Patient?identifier=${SYSTEM}%7C${ssn}`);
        assert.deepEqual(
          found.entry.map((e: { resource: { id: string } }) => e.resource.id),
          [bundlePatient.id],
        );
      } finally {
        await running.close();
      }
    } finally {
      await st.drop();
    }
  });
});
