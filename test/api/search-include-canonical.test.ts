// _include through canonical references: a completed form comes with the Questionnaire it answers
// (`QuestionnaireResponse?_include=QuestionnaireResponse:questionnaire`), matched by url and version.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
const URL = 'http://example.org/Questionnaire/phq-9';

const FIXTURE = [
  { resourceType: 'Patient', id: 'p1' },
  { resourceType: 'Questionnaire', id: 'q-v1', url: URL, version: '1', status: 'retired' },
  { resourceType: 'Questionnaire', id: 'q-v2', url: URL, version: '2', status: 'active' },
  {
    resourceType: 'Questionnaire',
    id: 'q-other',
    url: 'http://example.org/Questionnaire/gad-7',
    status: 'active',
  },
  {
    resourceType: 'QuestionnaireResponse',
    id: 'r-v2',
    status: 'completed',
    subject: { reference: 'Patient/p1' },
    questionnaire: `${URL}|2`,
  },
  {
    resourceType: 'QuestionnaireResponse',
    id: 'r-any',
    status: 'completed',
    subject: { reference: 'Patient/p1' },
    questionnaire: URL,
  },
];

before(async () => {
  s = await startTestServer({ label: 'search-include-canonical' });
  for (const r of FIXTURE) {
    const res = await s.request('PUT', `/${r.resourceType}/${r.id}`, r);
    assert.ok(res.status === 201 || res.status === 200, `${r.resourceType}/${r.id}: ${res.text}`);
  }
});
after(() => s.stop());

type Entry = { resource: { resourceType: string; id: string }; search: { mode: string } };
const byMode = async (query: string) => {
  const res = await s.request('GET', `/${query}`);
  assert.equal(res.status, 200, res.text);
  const out: Record<string, string[]> = { match: [], include: [] };
  for (const e of res.body.entry as Entry[])
    out[e.search.mode].push(`${e.resource.resourceType}/${e.resource.id}`);
  return { match: out.match.sort(), include: out.include.sort() };
};

test('a versioned canonical includes that version only', async () => {
  assert.deepEqual(
    await byMode('QuestionnaireResponse?_id=r-v2&_include=QuestionnaireResponse:questionnaire'),
    {
      match: ['QuestionnaireResponse/r-v2'],
      include: ['Questionnaire/q-v2'],
    },
  );
});

test('a canonical without a version includes every version of that url, and nothing else', async () => {
  assert.deepEqual(
    await byMode('QuestionnaireResponse?_id=r-any&_include=QuestionnaireResponse:questionnaire'),
    {
      match: ['QuestionnaireResponse/r-any'],
      include: ['Questionnaire/q-v1', 'Questionnaire/q-v2'],
    },
  );
});

test('with a target type, with *, and alongside ordinary references', async () => {
  const all = await byMode(
    'QuestionnaireResponse?_include=QuestionnaireResponse:questionnaire:Questionnaire&_include=QuestionnaireResponse:subject',
  );
  assert.deepEqual(all.include, ['Patient/p1', 'Questionnaire/q-v1', 'Questionnaire/q-v2']);
  assert.deepEqual((await byMode('QuestionnaireResponse?_id=r-v2&_include=*')).include, [
    'Patient/p1',
    'Questionnaire/q-v2',
  ]);
  assert.deepEqual(
    (await byMode('QuestionnaireResponse?_include=QuestionnaireResponse:questionnaire:Patient')).include,
    [],
  );
});

test('a deleted Questionnaire is not included', async () => {
  assert.equal((await s.request('DELETE', '/Questionnaire/q-v1')).status, 204);
  assert.deepEqual(
    (await byMode('QuestionnaireResponse?_id=r-any&_include=QuestionnaireResponse:questionnaire')).include,
    ['Questionnaire/q-v2'],
  );
});
