// Security labels on single resources: an HIV test, a substance-use diagnosis (42 CFR Part 2) and a
// psychotherapy note, each labelled on its own meta.security, of a patient whose chart is not restricted.
// Without access to the patient's restricted records they are absent from every path (search and its
// totals, paging, _include, chains, _has, compartment search, history, $everything, bulk export) and
// read as if they did not exist; the rest of the chart stays visible. A care relationship, break-the-glass
// or the privacy officer's role opens them. Writes to them are refused; removing a label is for the roles
// that govern confidentiality.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const label = (code: string) => ({ security: [{ system: ACT_CODE, code }] });

let s: TestServer;
let patient: string;
let other: string;
let weight: string;
let hivTest: string;
let sud: string;
let note: string;
let report: string;
const users: Record<string, string> = {};

const as = (user: string) => (method: string, path: string, body?: unknown, type?: string) =>
  s.request(method, path, body, {
    authorization: `Bearer ${users[user]}`,
    ...(body ? { 'content-type': type ?? 'application/json' } : {}),
  });
const ids = (b: { entry?: { resource: { id: string } }[] }) =>
  (b.entry ?? []).map((e) => e.resource.id).sort();
const sorted = (...xs: string[]) => [...xs].sort();
const created = async (resource: Record<string, unknown>): Promise<string> => {
  const r = await s.request('POST', `/${resource.resourceType}`, resource);
  assert.equal(r.status, 201, r.text);
  return r.body.id;
};
const observation = (code: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  ...extra,
});
const sudCondition = (subject: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Condition',
  code: { coding: [{ system: 'http://snomed.info/sct', code: '66590003' }] },
  subject: { reference: `Patient/${subject}` },
  ...extra,
});
/** Every id on every page of a search, following next links. */
async function allPages(user: string, path: string): Promise<string[]> {
  const out: string[] = [];
  let url: string | undefined = path;
  while (url) {
    const r = await as(user)('GET', url);
    assert.equal(r.status, 200, r.text);
    out.push(...ids(r.body));
    url = r.body.link?.find((l: { relation: string }) => l.relation === 'next')?.url;
  }
  return out.sort();
}

before(async () => {
  s = await startTestServer({ label: 'labels' });
  patient = await created({ resourceType: 'Patient', name: [{ family: 'Lane' }] });
  other = await created({ resourceType: 'Patient', name: [{ family: 'Moss' }] });
  weight = await created(observation('29463-7'));
  hivTest = await created(observation('75622-1', { meta: label('HIV') }));
  sud = await created(sudCondition(patient, { meta: label('SUD') }));
  // The other patient has the same diagnosis, unlabelled: _has must still find that one.
  await created(sudCondition(other));
  note = await created({
    resourceType: 'DocumentReference',
    status: 'current',
    subject: { reference: `Patient/${patient}` },
    content: [{ attachment: { contentType: 'text/plain', data: 'UHN5Y2hvdGhlcmFweQ==' } }],
    meta: label('PSY'),
  });
  report = await created({
    resourceType: 'DiagnosticReport',
    status: 'final',
    code: { text: 'HIV screen' },
    subject: { reference: `Patient/${patient}` },
    result: [{ reference: `Observation/${hivTest}` }],
  });
  for (const [name, role] of [
    ['nora', 'provider'],
    ['cara', 'provider'],
    ['otto', 'provider'],
    ['pia', 'privacy-officer'],
    ['dora', 'him-director'],
  ]) {
    users[name] = await s.addUser(name, [role]);
  }
  const care = await s.request(
    'POST',
    `${s.url}/care-relationships`,
    { username: 'cara', patient },
    { 'content-type': 'application/json' },
  );
  assert.equal(care.status, 201, care.text);
});
after(() => s.stop());

const hidden = () => [hivTest, sud, note];

describe('a user without access to the patient', () => {
  test('sees the chart, but search, _total and paging leave the labelled records out', async () => {
    const nora = as('nora');
    assert.equal((await nora('GET', `/Patient/${patient}`)).status, 200, 'the chart itself is open');
    assert.deepEqual(ids((await nora('GET', `/Observation?subject=Patient/${patient}`)).body), [weight]);
    const counted = await nora('GET', `/Observation?subject=Patient/${patient}&_total=accurate&_count=1`);
    assert.equal(counted.body.total, 1, '_total does not count the HIV test');
    assert.equal(
      counted.body.link.find((l: { relation: string }) => l.relation === 'next'),
      undefined,
      'no next page that would hold the hidden one',
    );
    assert.equal((await nora('GET', '/Condition?code=66590003&_summary=count')).body.total, 1);
    assert.deepEqual(await allPages('nora', '/Condition?code=66590003&_count=1'), [
      (await as('pia')('GET', `/Condition?subject=Patient/${other}`)).body.entry[0].resource.id,
    ]);
    assert.deepEqual(ids((await nora('GET', `/DocumentReference?patient=${patient}`)).body), []);
    assert.deepEqual(ids((await nora('GET', `/Patient/${patient}/Observation`)).body), [weight]);
    assert.deepEqual(ids((await nora('GET', `/Patient/${patient}/DocumentReference`)).body), []);
    // The privacy officer, for comparison, sees all of it.
    const pia = as('pia');
    assert.equal((await pia('GET', `/Observation?subject=Patient/${patient}&_total=accurate`)).body.total, 2);
    assert.deepEqual(
      await allPages('pia', `/Patient/${patient}/Observation?_count=1`),
      sorted(weight, hivTest),
    );
  });

  test('_include, _revinclude, chains and _has do not reach or reveal them', async () => {
    const nora = as('nora');
    const inc = await nora('GET', `/DiagnosticReport?_id=${report}&_include=DiagnosticReport:result`);
    assert.deepEqual(ids(inc.body), [report]);
    const rev = await nora(
      'GET',
      `/Patient?_id=${patient}&_revinclude=Observation:subject&_revinclude=Condition:subject`,
    );
    assert.deepEqual(ids(rev.body), sorted(patient, weight));
    assert.deepEqual(ids((await nora('GET', '/DiagnosticReport?result:Observation.code=75622-1')).body), []);
    assert.deepEqual(
      ids((await nora('GET', `/Patient?_has:Condition:patient:code=66590003`)).body),
      [other],
      'the hidden diagnosis does not make the patient match',
    );
    assert.deepEqual(
      ids((await nora('GET', `/Patient?_has:Observation:patient:code=75622-1&_total=accurate`)).body),
      [],
    );
    const pia = as('pia');
    assert.deepEqual(
      ids((await pia('GET', `/DiagnosticReport?_id=${report}&_include=DiagnosticReport:result`)).body),
      sorted(report, hivTest),
    );
    assert.deepEqual(ids((await pia('GET', '/DiagnosticReport?result:Observation.code=75622-1')).body), [
      report,
    ]);
    assert.deepEqual(
      ids((await pia('GET', `/Patient?_has:Condition:patient:code=66590003`)).body),
      sorted(patient, other),
    );
  });

  test('read, vread and instance history answer exactly as for a record that does not exist', async () => {
    const nora = as('nora');
    for (const [type, id] of [
      ['Observation', hivTest],
      ['Condition', sud],
      ['DocumentReference', note],
    ]) {
      for (const suffix of ['', '/_history/1', '/_history']) {
        const got = await nora('GET', `/${type}/${id}${suffix}`);
        const unknown = await nora('GET', `/${type}/no-such-id${suffix}`);
        assert.equal(got.status, unknown.status, `${type}${suffix}`);
        assert.equal(
          got.body.issue[0].diagnostics.replace(id, 'ID'),
          unknown.body.issue[0].diagnostics.replace('no-such-id', 'ID'),
        );
      }
    }
    assert.equal((await nora('GET', `/Observation/${hivTest}`)).status, 404);
    assert.equal((await nora('GET', `/Observation/${weight}`)).status, 200);
  });

  test('type and system history leave them out', async () => {
    const nora = as('nora');
    for (const path of ['/Observation/_history?_count=100', '/Condition/_history?_count=100']) {
      const h = await nora('GET', path);
      assert.equal(h.status, 200);
      assert.ok(!ids(h.body).some((id) => hidden().includes(id)), path);
    }
    const dora = as('dora'); // the HIM director may read system history, and is not exempt
    const system = await dora('GET', '/_history?_count=200');
    assert.equal(system.status, 200, system.text);
    assert.ok(ids(system.body).includes(weight));
    assert.ok(!ids(system.body).some((id) => hidden().includes(id)));
    assert.ok(ids((await as('pia')('GET', '/Observation/_history?_count=100')).body).includes(hivTest));
  });

  test('$everything holds the chart without the labelled records', async () => {
    const e = await as('nora')('GET', `/Patient/${patient}/$everything`);
    assert.equal(e.status, 200, e.text);
    assert.deepEqual(ids(e.body), sorted(patient, weight, report));
    const all = await as('pia')('GET', `/Patient/${patient}/$everything`);
    assert.deepEqual(ids(all.body), sorted(patient, weight, report, ...hidden()));
  });

  test('update, patch and delete of a labelled record are refused and change nothing', async () => {
    const nora = as('nora');
    const put = await nora('PUT', `/Observation/${hivTest}`, {
      ...observation('75622-1', { meta: label('HIV') }),
      id: hivTest,
      status: 'amended',
    });
    assert.equal(put.status, 403);
    assert.match(put.body.issue[0].diagnostics, /restricted record.*break the glass/);
    const unlabel = await nora('PUT', `/Observation/${hivTest}`, { ...observation('75622-1'), id: hivTest });
    assert.equal(unlabel.status, 403, 'nor can its label be taken off');
    const patch = await nora(
      'PATCH',
      `/Observation/${hivTest}`,
      [{ op: 'replace', path: '/status', value: 'amended' }],
      'application/json-patch+json',
    );
    assert.equal(patch.status, 404, 'a patch reads the record first, which answers as if it did not exist');
    assert.equal((await nora('DELETE', `/Condition/${sud}`)).status, 403);
    const inBundle = await nora('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: `DocumentReference/${note}` } }],
    });
    assert.equal(inBundle.status, 403, inBundle.text);
    const pia = as('pia');
    for (const [type, id] of [
      ['Observation', hivTest],
      ['Condition', sud],
      ['DocumentReference', note],
    ]) {
      const r = await pia('GET', `/${type}/${id}`);
      assert.equal(r.status, 200, `${type} still there`);
      assert.equal(r.body.meta.versionId, '1', `${type} unchanged`);
    }
  });
});

describe('adding and removing labels', () => {
  test('a user who may write a record may label it, and then no longer sees it', async () => {
    const nora = as('nora');
    const mine = await nora('POST', '/Observation', observation('8867-4'));
    assert.equal(mine.status, 201, mine.text);
    const labelled = await nora('PUT', `/Observation/${mine.body.id}`, {
      ...observation('8867-4', { meta: label('BH') }),
      id: mine.body.id,
    });
    assert.equal(labelled.status, 200, labelled.text);
    assert.equal((await nora('GET', `/Observation/${mine.body.id}`)).status, 404);
    const direct = await nora('POST', '/Observation', observation('8867-4', { meta: label('ETH') }));
    assert.equal(direct.status, 201, 'a new record may carry a label from the start');
    assert.equal((await nora('GET', `/Observation/${direct.body.id}`)).status, 404);
    assert.equal((await as('cara')('GET', `/Observation/${direct.body.id}`)).status, 200);
  });

  test('removing a label needs a role that governs confidentiality, even for a user who sees the record', async () => {
    const cara = as('cara');
    const r = await cara('GET', `/Condition/${sud}`);
    assert.equal(r.status, 200, 'the care relationship opens it');
    const { meta: _m, ...unlabelled } = r.body;
    const refused = await cara('PUT', `/Condition/${sud}`, unlabelled);
    assert.equal(refused.status, 403);
    assert.match(refused.body.issue[0].diagnostics, /Removing a restricting security label.*labels:remove/);
    const kept = await cara('PUT', `/Condition/${sud}`, { ...r.body, clinicalStatus: { text: 'active' } });
    assert.equal(kept.status, 200, 'changing it with its label kept is allowed');
    assert.equal((await as('nora')('GET', `/Condition/${sud}`)).status, 404, 'still hidden');

    // The HIM director may lower it, once the record is open to them.
    const dora = as('dora');
    const grant = await dora('POST', `${s.url}/break-the-glass`, {
      patient: other,
      reason: 'Reviewing the labelling of this diagnosis at the clinic’s request',
    });
    assert.equal(grant.status, 201);
    const spare = await created(sudCondition(other, { meta: label('SUD') }));
    const current = (await dora('GET', `/Condition/${spare}`)).body;
    const { meta: _n, ...plain } = current;
    assert.equal((await dora('PUT', `/Condition/${spare}`, plain)).status, 200);
    assert.equal((await as('nora')('GET', `/Condition/${spare}`)).status, 200, 'now open to everyone');
  });
});

describe('access to the patient opens the labelled records', () => {
  test('a care relationship: search, read, history, $everything', async () => {
    const cara = as('cara');
    assert.equal((await cara('GET', `/Observation/${hivTest}`)).status, 200);
    assert.equal((await cara('GET', `/Observation/${hivTest}/_history/1`)).status, 200);
    assert.equal((await cara('GET', `/Observation/${hivTest}/_history`)).body.entry.length, 1);
    assert.deepEqual(
      ids((await cara('GET', `/Observation?subject=Patient/${patient}&code=75622-1,29463-7`)).body),
      sorted(weight, hivTest),
    );
    assert.deepEqual(
      ids((await cara('GET', `/Patient?_has:Condition:patient:code=66590003`)).body),
      sorted(patient, other),
    );
    const e = await cara('GET', `/Patient/${patient}/$everything`);
    assert.ok(hidden().every((id) => ids(e.body).includes(id)));
    assert.equal((await as('otto')('GET', `/Observation/${hivTest}`)).status, 404, 'for that user only');
  });

  test('break-the-glass on the patient', async () => {
    const otto = as('otto');
    assert.equal((await otto('GET', `/DocumentReference/${note}`)).status, 404);
    const grant = await otto('POST', `${s.url}/break-the-glass`, {
      patient,
      reason: 'Crisis visit: prior psychotherapy notes needed',
    });
    assert.equal(grant.status, 201);
    assert.equal((await otto('GET', `/DocumentReference/${note}`)).status, 200);
    assert.deepEqual(ids((await otto('GET', `/DocumentReference?patient=${patient}`)).body), [note]);
    await s.running.flushAudit();
    const audit = await s.request('GET', `${s.url}/audit?action=read&user=otto&patient=${patient}`);
    assert.ok(audit.body.entry.length >= 1, 'the read is audited with the patient');
  });
});

describe('bulk export', () => {
  async function exported(user: string): Promise<string[]> {
    const headers = { authorization: `Bearer ${users[user]}`, prefer: 'respond-async' };
    const kick = await fetch(`${s.fhir}/Patient/$export`, { headers });
    assert.equal(kick.status, 202, await kick.text());
    const status = kick.headers.get('content-location') as string;
    for (let i = 0; i < 600; i++) {
      const p = await fetch(status, { headers });
      if (p.status === 200) {
        const manifest = (await p.json()) as { output: { url: string }[] };
        const out: string[] = [];
        for (const o of manifest.output) {
          const text = await (await fetch(o.url, { headers })).text();
          for (const line of text.split('\n').filter(Boolean)) out.push(JSON.parse(line).id);
        }
        return out;
      }
      await p.text();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('export did not finish');
  }

  test('leaves the labelled records out for a requester without access', async () => {
    const got = await exported('dora'); // dora broke the glass on the other patient only
    assert.ok(got.includes(weight) && got.includes(report));
    assert.ok(!got.includes(hivTest) && !got.includes(note) && !got.includes(sud));
    const grant = await as('dora')('POST', `${s.url}/break-the-glass`, {
      patient,
      reason: 'Records requested by the court, subpoena 2026-311',
    });
    assert.equal(grant.status, 201);
    const after = await exported('dora');
    assert.ok(hidden().every((id) => after.includes(id)));
  });
});
