// The authorization matrix: every route and FHIR interaction x every role, against the policy. It
// fails for a route that has no access rule, for a route that does not obey its rule, and for a policy
// that stops saying what an HIM department expects (the hand-written cases).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EXEMPT_ROLES } from '../../src/security/policy/patient-access.js';
import { mayDo, mayOnType, ROLES } from '../../src/security/policy/permissions.js';
import { ruleFor } from '../../src/security/policy/route-rules.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
const tokens = new Map<string, string>();
let observationId: string;
/** An observation of a patient labelled restricted (HIV): the third dimension of the matrix. */
let restrictedObservationId: string;
/** An observation labelled restricted itself (HIV) of a patient who is not: the same dimension, per record. */
let labelledObservationId: string;

before(async () => {
  process.env.CHARTROOM_TERMINOLOGY = 'off'; // allowed terminology calls answer 501 instead of loading code sets
  s = await startTestServer({ label: 'authz' });
  const patient = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Matrix' }] })
  ).body.id;
  observationId = (
    await s.request('POST', '/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      subject: { reference: `Patient/${patient}` },
    })
  ).body.id;
  const own = await s.request('POST', '/Observation', {
    resourceType: 'Observation',
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] },
    status: 'final',
    code: { text: 'HIV screen' },
    subject: { reference: `Patient/${patient}` },
  });
  assert.equal(own.status, 201, own.text);
  labelledObservationId = own.body.id;
  // The record first, then the label on the patient (as a chart becomes restricted in practice).
  const hidden = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Restricted' }] })
  ).body.id;
  const obs = await s.request('POST', '/Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'viral load' },
    subject: { reference: `Patient/${hidden}` },
  });
  assert.equal(obs.status, 201, obs.text);
  restrictedObservationId = obs.body.id;
  const labelled = await s.request('PUT', `/Patient/${hidden}`, {
    resourceType: 'Patient',
    id: hidden,
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] },
    name: [{ family: 'Restricted' }],
  });
  assert.equal(labelled.status, 200, labelled.text);
  for (const role of ROLES) {
    const username = `user-${role}`;
    tokens.set(role, await s.addUser(username, [role]));
  }
});
after(async () => {
  delete process.env.CHARTROOM_TERMINOLOGY;
  await s.stop();
});

describe('the policy says what an HIM department expects', () => {
  const cases: [string, 'read' | 'write' | 'delete', string, boolean][] = [
    ['registrar', 'write', 'Patient', true],
    ['registrar', 'read', 'Observation', false],
    ['registrar', 'read', 'Condition', false],
    ['coder', 'read', 'Condition', true],
    ['coder', 'write', 'Observation', false],
    ['coder', 'write', 'Claim', true],
    ['coder', 'delete', 'Claim', false],
    ['him-technician', 'write', 'DocumentReference', true],
    ['him-technician', 'delete', 'Observation', false],
    ['cdi-specialist', 'write', 'Communication', true],
    ['cdi-specialist', 'write', 'Condition', false],
    ['provider', 'write', 'Observation', true],
    ['release-of-information', 'write', 'Consent', true],
    ['release-of-information', 'write', 'Observation', false],
    ['privacy-officer', 'read', 'AuditEvent', true],
    ['privacy-officer', 'write', 'Patient', false],
    ['him-director', 'delete', 'Observation', true],
    ['administrator', 'delete', 'Patient', true],
  ];
  for (const [role, interaction, type, expected] of cases) {
    test(`${role} ${expected ? 'may' : 'may not'} ${interaction} ${type}`, () =>
      assert.equal(mayOnType([role], type, interaction), expected));
  }
  test('only administrators manage accounts; administrators and privacy officers read the audit trail', () => {
    assert.deepEqual(
      ROLES.filter((r) => mayDo([r], 'users:manage')),
      ['administrator'],
    );
    assert.deepEqual(ROLES.filter((r) => mayDo([r], 'audit:read')).sort(), [
      'administrator',
      'privacy-officer',
    ]);
  });
  test('bulk export is for the HIM director, integrations and administrators, who all see SSNs unmasked', () => {
    // Export files are served as written: masking for roles without phi:ssn would have nothing to act on.
    const exporters = ROLES.filter((r) => mayDo([r], 'export:bulk'));
    assert.deepEqual(exporters, ['him-director', 'system-integration', 'administrator']);
    assert.ok(exporters.every((r) => mayDo([r], 'phi:ssn')));
  });
});

describe('every route obeys its rule for every role', () => {
  test('every registered route has an access rule', () => {
    const missing = s.running.app.routeList
      .filter((r) => !ruleFor(r.method, r.url))
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, []);
  });

  test("the web panel's page and modules are open (no PHI), typed, revalidated and under a strict CSP", async () => {
    const files: [string, RegExp][] = [
      ['/ui/code-search', /^text\/html/],
      ['/ui/code-search.js', /^text\/javascript/],
      ['/ui/code-search-page.js', /^text\/javascript/],
    ];
    for (const [path, type] of files) {
      assert.equal(ruleFor('GET', path)?.kind, 'open', path);
      const r = await fetch(`${s.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', type, path);
      assert.equal(r.headers.get('cache-control'), 'no-cache', path);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
      assert.ok((await r.text()).length > 100, path);
    }
    const page = await fetch(`${s.url}/ui/code-search`);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline script');
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  test('each route x each role: refused exactly when the policy refuses', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const fill = (url: string) =>
      url
        .replace(':compartmentType', 'Observation')
        .replace(':type', 'Observation')
        .replace(':id', observationId)
        .replace(':vid', '1')
        .replace(':table', 'drug')
        .replace(':system', 'icd10cm')
        .replace(':code', 'E11.22')
        .replace(':kid', 'no-such-key');
    const mismatches: string[] = [];
    let checked = 0;
    for (const route of s.running.app.routeList) {
      const rule = ruleFor(route.method, route.url);
      if (!rule || rule.kind === 'open' || rule.kind === 'signed-in') continue; // sign-in routes are tested in sign-in.test.ts
      for (const role of ROLES) {
        const expectAllowed =
          rule.kind === 'action'
            ? mayDo([role], rule.action)
            : rule.kind === 'fhir-type'
              ? mayOnType([role], rule.type ?? 'Observation', rule.interaction)
              : rule.kind === 'fhir-system-search'
                ? mayOnType([role], 'Observation', 'read')
                : mayOnType([role], 'Observation', 'write');
        const path = fill(route.url) + (rule.kind === 'fhir-system-search' ? '?_type=Observation' : '');
        const body =
          route.url === '/fhir/R4' && route.method === 'POST'
            ? bundle
            : route.method === 'PUT' || route.method === 'POST'
              ? { resourceType: 'Observation', id: observationId, status: 'final', code: { text: 'weight' } }
              : undefined;
        const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(role)}` };
        let payload: string | undefined;
        if (route.url.endsWith('/_search')) {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          payload = '_count=1';
        } else if (route.method === 'PATCH') {
          headers['content-type'] = 'application/json-patch+json';
          payload = '[]';
        } else if (body) {
          headers['content-type'] = 'application/fhir+json';
          payload = JSON.stringify(body);
        }
        const target =
          path.startsWith('/fhir/R4') || !path.startsWith('/') ? `${s.url}${path}` : `${s.url}${path}`;
        const res = await fetch(target, { method: route.method, headers, body: payload });
        await res.text();
        checked++;
        if ((res.status === 403) === expectAllowed)
          mismatches.push(
            `${role} ${route.method} ${route.url}: ${res.status}, policy ${expectAllowed ? 'allows' : 'refuses'}`,
          );
      }
    }
    assert.ok(checked >= ROLES.length * 20, `checked ${checked} route x role pairs`);
    assert.deepEqual(mismatches, []);
  });

  const restrictedCases = [
    ['the record of a restricted patient', () => restrictedObservationId],
    ['a labelled record of a patient who is not restricted', () => labelledObservationId],
  ] as const;
  for (const [what, recordId] of restrictedCases)
    test(`each FHIR record route x each role, on ${what}: never shown or changed unless the role is exempt`, async () => {
      const mismatches: string[] = [];
      let checked = 0;
      const restrictedObservationId = recordId();
      const labelled = restrictedObservationId === labelledObservationId;
      const marker = `"id":"${restrictedObservationId}"`;
      for (const route of s.running.app.routeList) {
        if (!route.url.startsWith('/fhir/R4/:type') || route.url.includes(':compartmentType')) continue;
        const rule = ruleFor(route.method, route.url);
        if (rule?.kind !== 'fhir-type' || rule.type) continue;
        const byId = route.url.includes(':id');
        const isSearch = route.method === 'GET' && route.url === '/fhir/R4/:type';
        const isPostSearch = route.url.endsWith('/_search');
        if (!byId && !isSearch && !isPostSearch) continue; // creates and conditional writes name no record
        for (const role of ROLES) {
          const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(role)}` };
          let path = route.url
            .replace(':type', 'Observation')
            .replace(':id', restrictedObservationId)
            .replace(':vid', '1');
          let payload: string | undefined;
          if (isSearch) path += `?_id=${restrictedObservationId}`;
          else if (isPostSearch) {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            payload = `_id=${restrictedObservationId}`;
          } else if (route.method === 'PATCH') {
            headers['content-type'] = 'application/json-patch+json';
            payload = '[]';
          } else if (route.method === 'PUT') {
            headers['content-type'] = 'application/fhir+json';
            payload = JSON.stringify({
              resourceType: 'Observation',
              id: restrictedObservationId,
              status: 'amended',
              code: { text: 'viral load' },
            });
          }
          const res = await fetch(`${s.url}${path}`, { method: route.method, headers, body: payload });
          const text = await res.text();
          checked++;
          const allowed = mayOnType([role], 'Observation', rule.interaction);
          const exempt = EXEMPT_ROLES.includes(role);
          const reading = route.method === 'GET' || isPostSearch;
          const shown = res.status !== 403 && text.includes(marker);
          let ok: boolean;
          if (!allowed) ok = res.status === 403;
          else if (exempt) ok = reading ? shown : res.status !== 403;
          // A labelled record answers as if it did not exist; a patch reads it first, so it answers 404 too.
          else if (labelled && reading) ok = !shown && res.status !== 403;
          else
            ok = reading
              ? !shown
              : res.status === 403 || (labelled && route.method === 'PATCH' && res.status === 404);
          if (!ok)
            mismatches.push(
              `${role} ${route.method} ${route.url}: ${res.status}${shown ? ' (record shown)' : ''}; policy ${allowed ? 'allows the type' : 'refuses'}, role ${exempt ? 'exempt' : 'not exempt'}`,
            );
        }
      }
      assert.ok(checked >= ROLES.length * 8, `checked ${checked} route x role pairs`);
      assert.deepEqual(mismatches, []);
    });

  test('a transaction with one entry the role may not write is refused whole, naming the entry', async () => {
    const r = await fetch(`${s.fhir}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get('coder')}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Claim' }, request: { method: 'POST', url: 'Claim' } },
          {
            resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      }),
    });
    assert.equal(r.status, 403);
    const body = (await r.json()) as { issue: { expression: string[]; diagnostics: string }[] };
    assert.deepEqual(body.issue[0].expression, ['Bundle.entry[1].request']);
    assert.match(body.issue[0].diagnostics, /coder.*may not write Observation/);
  });
});
