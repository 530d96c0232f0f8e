// A real SMART client library against Chartroom: fhirclient (SMART Health IT's JavaScript client) in
// Node, headless, with an in-memory storage and a fake app server: it discovers the endpoints, sends
// the user to /oauth/authorize with PKCE S256, and after the sign-in and patient picker (driven over
// HTTP) exchanges the code and reads the launched patient's data.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import smart from 'fhirclient';
import { authorizeInBrowser } from '../support/smart-browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let alice: string;
let clientId: string;
const PASSWORD = 'orchard violet compass 903';
const REDIRECT = 'http://app.example/callback';

before(async () => {
  s = await startTestServer({ label: 'fhirclient' });
  alice = (
    await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Clientlib', given: ['Alice'] }],
    })
  ).body.id;
  const bob = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Someone' }] })
  ).body.id;
  for (const p of [alice, bob])
    await s.request('POST', '/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'hr' },
      subject: { reference: `Patient/${p}` },
    });
  await s.request(
    'POST',
    `${s.url}/admin/users`,
    { username: 'dr-lib', password: PASSWORD, roles: ['provider'] },
    { 'content-type': 'application/json' },
  );
  const c = await s.request(
    'POST',
    `${s.url}/admin/clients`,
    {
      name: 'fhirclient app',
      type: 'public',
      redirect_uris: [REDIRECT],
      scopes: 'launch/patient patient/*.rs',
    },
    { 'content-type': 'application/json' },
  );
  assert.equal(c.status, 201, c.text);
  clientId = c.body.client_id;
});
after(() => s.stop());

/** What the app's own web server would receive and answer. */
function appRequest(path: string) {
  const req = {
    url: path,
    headers: { host: 'app.example' },
    socket: { encrypted: false },
  } as unknown as IncomingMessage;
  let location = '';
  const res = {
    writeHead: (_code: number, headers: Record<string, string>) => {
      location = headers.location ?? headers.Location;
    },
    end: () => undefined,
  } as unknown as ServerResponse;
  return { req, res, location: () => location };
}

test('fhirclient completes a standalone patient launch with PKCE and reads only the launched patient', async () => {
  const store = new Map<string, unknown>();
  const storage = {
    get: async (k: string) => store.get(k),
    set: async (k: string, v: unknown) => {
      store.set(k, v);
      return v;
    },
    unset: async (k: string) => store.delete(k),
  };
  const launch = appRequest('/launch');
  await smart(launch.req, launch.res, storage).authorize({
    clientId,
    scope: 'launch/patient patient/*.rs',
    redirectUri: REDIRECT,
    iss: s.fhir,
    pkceMode: 'required',
  });
  const authorizeUrl = new URL(launch.location());
  assert.equal(authorizeUrl.origin + authorizeUrl.pathname, `${s.url}/oauth/authorize`);
  assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');

  const flow = await authorizeInBrowser(
    s.url,
    authorizeUrl.href,
    { username: 'dr-lib', password: PASSWORD },
    { patientName: 'Clientlib', patientId: alice },
  );
  assert.equal(flow.response.status, 302, flow.pages.at(-1) ?? '');
  const back = flow.location as URL;

  const callback = appRequest(`${back.pathname}${back.search}`);
  const client = await smart(callback.req, callback.res, storage).ready();
  assert.equal(client.patient.id, alice);
  const patient = await client.patient.read();
  assert.equal(patient.name?.[0]?.family, 'Clientlib');
  const observations = (await client.request('Observation')) as {
    entry?: { resource: { subject: { reference: string } } }[];
  };
  assert.equal(observations.entry?.length, 1);
  assert.equal(observations.entry?.[0].resource.subject.reference, `Patient/${alice}`);
});
