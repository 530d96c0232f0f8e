// The read by id with its shortcuts (issue 2): a token and a session served from the caches are still
// refused once expired or signed out; SSNs opened in the stored text come out as the parse would give them,
// and anything that is not an SSN written as the store writes it still goes through the parse; the audit
// entry's AuditEvent is written as text, the same as JSON.stringify of the object.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AccessRecord, auditEventJson, toAuditEvent } from '../../src/security/audit/audit-event.js';
import { postForm, signInUser, startTestServer, type TestServer } from '../support/test-server.js';

const SYSTEM = 'http://hl7.org/fhir/sid/us-ssn';
type Identified = { identifier?: { system?: string; value?: string }[]; name?: { text?: string }[] };
const ssns = (r: Identified) => (r.identifier ?? []).filter((i) => i.system === SYSTEM).map((i) => i.value);

describe('tokens and sessions served from the caches', () => {
  let s: TestServer;
  let patient: string;
  before(async () => {
    // Tokens live 3 s here: the administrator's is used once, at once, to add the registrar.
    s = await startTestServer({ label: 'read-path-auth', config: { tokenLifetime: 3 } });
    const rita = await s.addUser('rita', ['registrar'], 'amber lantern orchard 31');
    const created = await s.request(
      'POST',
      '/Patient',
      { resourceType: 'Patient', gender: 'female' },
      {
        authorization: `Bearer ${rita}`,
      },
    );
    assert.equal(created.status, 201, created.text);
    patient = created.body.id;
  });
  after(() => s.stop());

  const read = (token: string) =>
    fetch(`${s.fhir}/Patient/${patient}`, { headers: { authorization: `Bearer ${token}` } });

  test('a token read with many times is refused once it expires', async () => {
    const { token } = await signInUser(s.url, 'rita', 'amber lantern orchard 31');
    for (let i = 0; i < 5; i++) assert.equal((await read(token)).status, 200);
    await new Promise((r) => setTimeout(r, 3_100));
    const expired = await read(token);
    assert.equal(expired.status, 401);
    assert.match(await expired.text(), /invalid or has expired/);
  });

  test('a token read with a moment before is refused right after its sign-out', async () => {
    const { token } = await signInUser(s.url, 'rita', 'amber lantern orchard 31');
    for (let i = 0; i < 5; i++) assert.equal((await read(token)).status, 200);
    assert.equal((await postForm(`${s.url}/auth/logout`, {}, token)).status, 204);
    const after = await read(token);
    assert.equal(after.status, 401);
    assert.match(await after.text(), /signed out/);
  });
});

describe('SSNs on a read', () => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const as = async (role: string, path: string) => {
    const r = await s.request('GET', path, undefined, { authorization: `Bearer ${tokens[role]}` });
    assert.equal(r.status, 200, r.text);
    return r.body as Identified & { contained?: Identified[] };
  };
  const create = async (resource: object) => {
    const r = await s.request('POST', '/Patient', resource);
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  before(async () => {
    s = await startTestServer({ label: 'read-path-ssn' });
    for (const role of ['coder', 'registrar']) tokens[role] = await s.addUser(`${role}-rp`, [role]);
  });
  after(() => s.stop());

  test('two SSNs and one in a contained resource: whole for a registrar, last four digits for a coder', async () => {
    const id = await create({
      resourceType: 'Patient',
      identifier: [
        { system: SYSTEM, value: '999-11-1111' },
        { system: 'urn:mrn', value: 'M-1' },
        { system: SYSTEM, value: '999-22-2222' },
      ],
      contained: [
        { resourceType: 'Patient', id: 'p2', identifier: [{ system: SYSTEM, value: '999-33-3333' }] },
      ],
      link: [{ other: { reference: '#p2' }, type: 'seealso' }],
    });
    const reg = await as('registrar', `/Patient/${id}`);
    assert.deepEqual(ssns(reg), ['999-11-1111', '999-22-2222']);
    assert.deepEqual(ssns(reg.contained?.[0] ?? {}), ['999-33-3333']);
    const cod = await as('coder', `/Patient/${id}`);
    assert.deepEqual(ssns(cod), ['***-**-1111', '***-**-2222']);
    assert.deepEqual(ssns(cod.contained?.[0] ?? {}), ['***-**-3333']);
  });

  test('an SSN sent with its value before its system is opened and masked all the same', async () => {
    const id = await create({
      resourceType: 'Patient',
      identifier: [{ value: '999-44-4444', system: SYSTEM }],
    });
    assert.deepEqual(ssns(await as('registrar', `/Patient/${id}`)), ['999-44-4444']);
    assert.deepEqual(ssns(await as('coder', `/Patient/${id}`)), ['***-**-4444']);
  });

  test('a sealed value copied into another element is not opened, and the real SSN still is', async () => {
    const first = await create({
      resourceType: 'Patient',
      identifier: [{ system: SYSTEM, value: '999-55-5555' }],
    });
    const stored = await s.running.services.db.query<{ content: string }>(
      'SELECT v.content FROM resource_version v JOIN resource r USING (rid) WHERE r.type = $1 AND r.id = $2',
      ['Patient', first],
    );
    const sealed = JSON.parse(stored.rows[0].content).identifier[0].value as string;
    assert.match(sealed, /^chartroom-sealed:/);
    const id = await create({
      resourceType: 'Patient',
      name: [{ text: sealed }],
      identifier: [{ system: SYSTEM, value: '999-66-6666' }],
    });
    const reg = await as('registrar', `/Patient/${id}`);
    assert.deepEqual(ssns(reg), ['999-66-6666']);
    assert.equal(reg.name?.[0].text, sealed, 'the copy stays as it was written');
    assert.doesNotMatch(JSON.stringify(reg), /999-55-5555/);
    const cod = await as('coder', `/Patient/${id}`);
    assert.deepEqual(ssns(cod), ['***-**-6666']);
    assert.doesNotMatch(JSON.stringify(cod), /5555/);
  });
});

describe('the AuditEvent of an audit entry', () => {
  const recorded = '2026-11-27T16:00:00.000Z';
  const records: AccessRecord[] = [
    {
      username: 'admin',
      action: 'R',
      interaction: 'read',
      path: '/fhir/R4/Observation/o1',
      status: 200,
      clientIp: '127.0.0.1',
      entities: ['Observation/o1'],
      patients: ['p1'],
    },
    { action: 'E', interaction: 'sign-in', path: '/auth/token', status: 401, entities: [], patients: [] },
    {
      username: 'a "quoted"\\name\n',
      action: 'E',
      interaction: 'GET /fhir/R4/Patient',
      path: '/fhir/R4/Patient',
      status: 503,
      clientIp: '::1',
      entities: ['Patient/1', 'Patient/2'],
      patients: ['1', '2'],
    },
  ];
  test('is written as text exactly as JSON.stringify writes the object', () => {
    for (const a of records)
      assert.equal(auditEventJson(a, recorded, 'e-1'), JSON.stringify(toAuditEvent(a, recorded, 'e-1')));
  });
});

describe('reads asked for together (one statement for many, read-batch.ts)', () => {
  let s: TestServer;
  let nora: string;
  const ids: Record<string, string> = {};
  const obs = (patient: string, value: number) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${patient}` },
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  const post = async (resource: object) => {
    const r = await s.request('POST', `/${(resource as { resourceType: string }).resourceType}`, resource);
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  before(async () => {
    s = await startTestServer({ label: 'read-path-batch' });
    ids.open = await post({ resourceType: 'Patient', name: [{ family: 'Batchelor' }] });
    ids.hidden = await post({ resourceType: 'Patient', name: [{ family: 'Hidden' }] });
    for (let i = 0; i < 40; i++) ids[`obs${i}`] = await post(obs(i % 2 ? ids.open : ids.hidden, 60 + i));
    ids.gone = await post(obs(ids.open, 99));
    assert.equal((await s.request('DELETE', `/Observation/${ids.gone}`)).status, 204);
    // the hidden patient's record is restricted (a security label): nora, a provider, has no care relationship
    const labelled = await s.request('PUT', `/Patient/${ids.hidden}`, {
      resourceType: 'Patient',
      id: ids.hidden,
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ETH' }] },
      name: [{ family: 'Hidden' }],
    });
    assert.equal(labelled.status, 200, labelled.text);
    nora = await s.addUser('nora-batch', ['provider']);
  });
  after(() => s.stop());

  const get = (path: string, token?: string) =>
    fetch(`${s.fhir}${path}`, { headers: { authorization: `Bearer ${token ?? s.token}` } }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as { id?: string; issue?: unknown[] } }),
    );

  test('300 reads at once (more than one statement holds) answer as the same reads one by one', async () => {
    const paths: [string, string | undefined][] = [];
    for (let k = 0; k < 300; k++) {
      const pick = k % 6;
      const path =
        pick === 0
          ? `/Patient/${ids.open}`
          : pick === 1
            ? `/Patient/${ids.hidden}`
            : pick === 2
              ? `/Observation/${ids[`obs${(k >> 1) % 40}`]}`
              : pick === 3
                ? `/Observation/${ids.gone}`
                : pick === 4
                  ? `/Observation/no-such-${k}`
                  : `/Patient/${ids[`obs${k % 40}`]}`; // an Observation's id asked as a Patient
      paths.push([path, Math.floor(k / 6) % 2 ? nora : undefined]);
    }
    const together = await Promise.all(paths.map(([p, t]) => get(p, t)));
    const statuses = new Set<number>();
    for (let k = 0; k < paths.length; k++) {
      const alone = await get(...paths[k]);
      assert.deepEqual(together[k], alone, `${paths[k][0]} (${paths[k][1] ? 'nora' : 'administrator'})`);
      statuses.add(alone.status);
    }
    // what the mix holds: found, not found, deleted, and refused for a restricted patient's records
    assert.deepEqual([...statuses].sort(), [200, 403, 404, 410]);
    const mine = together.filter((r, k) => r.status === 200 && paths[k][0].startsWith('/Observation/'));
    assert.ok(
      mine.length > 20 &&
        mine.every((r) => (r.body as { resourceType?: string }).resourceType === 'Observation'),
    );
  });

  test('a read asked for right after a write sees the write, also among many reads', async () => {
    const id = ids.obs1;
    for (let v = 1; v <= 8; v++) {
      const put = await s.request('PUT', `/Observation/${id}`, { ...obs(ids.open, 200 + v), id });
      assert.equal(put.status, 200, put.text);
      const [read] = await Promise.all([
        get(`/Observation/${id}`),
        ...Array.from({ length: 20 }, (_, k) => get(`/Observation/${ids[`obs${k}`]}`)),
      ]);
      const body = read.body as { meta?: { versionId?: string }; valueQuantity?: { value?: number } };
      assert.equal(body.meta?.versionId, put.body.meta.versionId);
      assert.equal(body.valueQuantity?.value, 200 + v);
    }
  });
});
