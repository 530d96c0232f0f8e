// SMART on FHIR as apps and integrations use it: discovery, the authorization code flow with PKCE
// driven over HTTP like a browser, patient/ scopes confining every interaction to the launched
// patient, v1 and v2 scopes intersected with the user's role, refresh-token rotation, Backend Services
// with private_key_jwt, and rotation of the keys that sign access tokens.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { authorizeInBrowser, newPkce, type Pkce } from '../support/smart-browser.js';
import { signInAdministrator, startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
const REDIRECT = 'http://app.example/callback';
const PASSWORD = 'lantern harbour quiet meadow 77';
let alice: string; // the launched patient
let bob: string; // someone else
let aliceObs: string;
let bobObs: string;

const json = (r: Response) => r.json() as Promise<Record<string, unknown>>;

async function registerClient(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await s.request('POST', `${s.url}/admin/clients`, body, { 'content-type': 'application/json' });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function createUser(username: string, roles: string[]) {
  const r = await s.request(
    'POST',
    `${s.url}/admin/users`,
    { username, password: PASSWORD, roles },
    { 'content-type': 'application/json' },
  );
  assert.equal(r.status, 201, r.text);
}

function authorizeUrl(
  clientId: string,
  scope: string,
  pkce: Pkce,
  extra: Record<string, string> = {},
): string {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope,
    state: 'st-123',
    aud: s.fhir,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `${s.url}/oauth/authorize?${q}`;
}

function tokenRequest(form: Record<string, string>) {
  return fetch(`${s.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

/** The whole flow for a public app: returns the token response. */
async function launch(clientId: string, scope: string, username: string, patient?: string) {
  const pkce = newPkce();
  const flow = await authorizeInBrowser(
    s.url,
    authorizeUrl(clientId, scope, pkce),
    { username, password: PASSWORD },
    patient ? { patientName: 'Launchtest', patientId: patient } : {},
  );
  assert.equal(flow.response.status, 302, flow.pages.at(-1) ?? '');
  const code = flow.location?.searchParams.get('code') as string;
  const r = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: pkce.verifier,
    client_id: clientId,
  });
  const body = await json(r);
  assert.equal(r.status, 200, JSON.stringify(body));
  return body as {
    access_token: string;
    scope: string;
    patient?: string;
    refresh_token?: string;
    expires_in: number;
  };
}

const get = (token: string, path: string) =>
  fetch(`${s.fhir}${path}`, { headers: { authorization: `Bearer ${token}` } });
const post = (token: string, path: string, body: unknown) =>
  fetch(`${s.fhir}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });

let appId: string;

before(async () => {
  s = await startTestServer({ label: 'smart' });
  alice = (
    await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Launchtest', given: ['Alice'] }],
    })
  ).body.id;
  bob = (
    await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Otherperson', given: ['Bob'] }],
    })
  ).body.id;
  const obs = (p: string) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'weight' },
    subject: { reference: `Patient/${p}` },
  });
  aliceObs = (await s.request('POST', '/Observation', obs(alice))).body.id;
  bobObs = (await s.request('POST', '/Observation', obs(bob))).body.id;
  await s.request('POST', '/Organization', { resourceType: 'Organization', name: 'General Hospital' });
  await createUser('dr-app', ['provider']);
  await createUser('reg-app', ['registrar']);
  appId = (
    await registerClient({
      name: 'Growth Chart',
      type: 'public',
      redirect_uris: [REDIRECT],
      scopes:
        'launch/patient patient/*.rs patient/Observation.cruds patient/*.read user/*.rs user/*.read online_access offline_access',
    })
  ).client_id as string;
});
after(() => s.stop());

describe('discovery', () => {
  test('smart-configuration is published at the root and under the FHIR base, without signing in', async () => {
    for (const url of [
      `${s.url}/.well-known/smart-configuration`,
      `${s.fhir}/.well-known/smart-configuration`,
    ]) {
      const r = await fetch(url);
      assert.equal(r.status, 200);
      const c = await json(r);
      assert.equal(c.authorization_endpoint, `${s.url}/oauth/authorize`);
      assert.equal(c.token_endpoint, `${s.url}/oauth/token`);
      assert.deepEqual(c.code_challenge_methods_supported, ['S256']);
      for (const cap of [
        'launch-standalone',
        'client-public',
        'client-confidential-asymmetric',
        'context-standalone-patient',
        'permission-v2',
        'permission-v1',
      ])
        assert.ok((c.capabilities as string[]).includes(cap), cap);
      assert.ok((c.token_endpoint_auth_methods_supported as string[]).includes('private_key_jwt'));
      assert.ok((c.grant_types_supported as string[]).includes('client_credentials'));
    }
  });

  test('the JWKS publishes the public signing keys only', async () => {
    const r = await json(await fetch(`${s.url}/.well-known/jwks.json`));
    const keys = r.keys as Record<string, string>[];
    assert.ok(keys.length >= 1);
    assert.equal(keys[0].kty, 'EC');
    assert.equal(keys[0].alg, 'ES256');
    assert.equal(keys[0].d, undefined, 'no private part');
    assert.equal(keys[0].kid, decodeProtectedHeader(s.token).kid);
  });

  test('client registration needs clients:manage and validates what it is given', async () => {
    const noRedirect = await s.request(
      'POST',
      `${s.url}/admin/clients`,
      { name: 'x', type: 'public', scopes: 'user/*.rs' },
      { 'content-type': 'application/json' },
    );
    assert.equal(noRedirect.status, 400);
    assert.deepEqual(noRedirect.body.issue[0].expression, ['redirect_uris']);
    const badScope = await s.request(
      'POST',
      `${s.url}/admin/clients`,
      { name: 'x', type: 'public', redirect_uris: [REDIRECT], scopes: 'everything/please' },
      { 'content-type': 'application/json' },
    );
    assert.equal(badScope.status, 400);
    const confidential = await registerClient({
      name: 'Portal',
      type: 'confidential',
      redirect_uris: [REDIRECT],
      scopes: 'user/*.rs',
    });
    assert.equal(typeof confidential.client_secret, 'string', 'the secret is shown once');
    const list = await s.request('GET', `${s.url}/admin/clients`);
    assert.equal(list.status, 200);
    assert.ok(list.body.some((c: { name: string }) => c.name === 'Growth Chart'));
    assert.ok(
      list.body.every(
        (c: Record<string, unknown>) => c.client_secret === undefined && c.secret_hash === undefined,
      ),
    );
  });
});

describe('authorization code flow with PKCE (standalone patient launch)', () => {
  test('sign-in page, patient picker, consent, code, token with the patient context', async () => {
    const pkce = newPkce();
    const flow = await authorizeInBrowser(
      s.url,
      authorizeUrl(appId, 'launch/patient patient/*.rs', pkce),
      { username: 'dr-app', password: PASSWORD },
      { patientName: 'Launchtest', patientId: alice },
    );
    const [signInPage, consent, picked] = flow.pages;
    assert.match(signInPage, /<label for="password">Password<\/label>/);
    assert.match(signInPage, /Growth Chart/);
    assert.match(consent, /Signed in as <strong>dr-app<\/strong>/);
    assert.match(picked, new RegExp(`Patient/${alice}`), 'the search finds the patient by name');
    assert.doesNotMatch(picked, new RegExp(`Patient/${bob}`));
    assert.equal(flow.response.status, 302);
    assert.equal(flow.location?.origin + (flow.location?.pathname ?? ''), REDIRECT);
    assert.equal(flow.location?.searchParams.get('state'), 'st-123');
    const code = flow.location?.searchParams.get('code') as string;
    const r = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: pkce.verifier,
      client_id: appId,
    });
    const body = await json(r);
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.patient, alice);
    assert.equal(body.scope, 'launch/patient patient/*.rs');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const again = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: pkce.verifier,
      client_id: appId,
    });
    assert.equal(again.status, 400);
    assert.equal((await json(again)).error, 'invalid_grant', 'a code works once');
  });

  test('a wrong code_verifier is refused', async () => {
    const pkce = newPkce();
    const flow = await authorizeInBrowser(s.url, authorizeUrl(appId, 'user/*.rs', pkce), {
      username: 'dr-app',
      password: PASSWORD,
    });
    const code = flow.location?.searchParams.get('code') as string;
    const r = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: newPkce().verifier,
      client_id: appId,
    });
    assert.equal(r.status, 400);
    const body = await json(r);
    assert.equal(body.error, 'invalid_grant');
    assert.match(String(body.error_description), /code_verifier/);
  });

  test('an unregistered redirect_uri gets an error page, never a redirect; a different one at the token endpoint is refused', async () => {
    const pkce = newPkce();
    const r = await fetch(
      authorizeUrl(appId, 'user/*.rs', pkce, { redirect_uri: 'http://evil.example/cb' }),
      { redirect: 'manual' },
    );
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('location'), null);
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await r.text(), /redirect_uri is not one registered/);
    const flow = await authorizeInBrowser(s.url, authorizeUrl(appId, 'user/*.rs', pkce), {
      username: 'dr-app',
      password: PASSWORD,
    });
    const code = flow.location?.searchParams.get('code') as string;
    const t = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://app.example/other',
      code_verifier: pkce.verifier,
      client_id: appId,
    });
    assert.equal((await json(t)).error, 'invalid_grant');
  });

  test('errors go back to the app: no PKCE, wrong aud, refused consent', async () => {
    const pkce = newPkce();
    const noPkce = await fetch(authorizeUrl(appId, 'user/*.rs', pkce, { code_challenge_method: 'plain' }), {
      redirect: 'manual',
    });
    assert.equal(noPkce.status, 302);
    const l1 = new URL(noPkce.headers.get('location') as string);
    assert.equal(l1.searchParams.get('error'), 'invalid_request');
    assert.equal(l1.searchParams.get('state'), 'st-123');
    const badAud = await fetch(
      authorizeUrl(appId, 'user/*.rs', pkce, { aud: 'http://elsewhere.example/fhir' }),
      { redirect: 'manual' },
    );
    assert.equal(
      new URL(badAud.headers.get('location') as string).searchParams.get('error'),
      'invalid_request',
    );
    const denied = await authorizeInBrowser(
      s.url,
      authorizeUrl(appId, 'user/*.rs', pkce),
      { username: 'dr-app', password: PASSWORD },
      { decision: 'deny' },
    );
    assert.equal(denied.location?.searchParams.get('error'), 'access_denied');
  });

  test('a wrong password shows the sign-in page again with the reason, accessibly', async () => {
    const flow = await authorizeInBrowser(s.url, authorizeUrl(appId, 'user/*.rs', newPkce()), {
      username: 'dr-app',
      password: 'not the password at all',
    });
    assert.equal(flow.response.status, 401);
    assert.match(flow.pages.at(-1) ?? '', /role="alert"[^>]*>Unknown user or wrong password/);
    assert.match(flow.response.headers.get('content-security-policy') ?? '', /style-src 'sha256-/);
    assert.match(
      flow.response.headers.get('content-security-policy') ?? '',
      /form-action 'self' http:\/\/app\.example/,
    );
  });
});

describe('patient/ scopes confine the app to the launched patient', () => {
  let token: string;
  before(async () => {
    token = (await launch(appId, 'launch/patient patient/*.rs patient/Observation.cruds', 'dr-app', alice))
      .access_token;
  });

  test('reads of the launched patient work; another patient and their records are refused', async () => {
    assert.equal((await get(token, `/Patient/${alice}`)).status, 200);
    assert.equal((await get(token, `/Observation/${aliceObs}`)).status, 200);
    const other = await get(token, `/Patient/${bob}`);
    assert.equal(other.status, 403);
    assert.match(JSON.stringify(await other.json()), new RegExp(`limited to the record of Patient/${alice}`));
    assert.equal((await get(token, `/Observation/${bobObs}`)).status, 403);
    assert.equal((await get(token, `/Observation/${bobObs}/_history/1`)).status, 403);
  });

  test('searches return only the launched patient records, even when asked for another patient', async () => {
    const all = (await json(await get(token, '/Observation'))) as { entry?: { resource: { id: string } }[] };
    assert.deepEqual(
      all.entry?.map((e) => e.resource.id),
      [aliceObs],
    );
    const asked = (await json(await get(token, `/Observation?subject=Patient/${bob}`))) as {
      entry?: unknown[];
    };
    assert.equal(asked.entry?.length ?? 0, 0);
    const patients = (await json(await get(token, '/Patient'))) as { entry?: { resource: { id: string } }[] };
    assert.deepEqual(
      patients.entry?.map((e) => e.resource.id),
      [alice],
    );
    const history = (await json(await get(token, '/Observation/_history'))) as {
      entry?: { resource?: { id: string } }[];
    };
    assert.ok((history.entry ?? []).every((e) => e.resource?.id === aliceObs));
  });

  test('compartment search, system search, _revinclude and $everything stay inside the compartment', async () => {
    const theirs = (await json(await get(token, `/Patient/${bob}/Observation`))) as { entry?: unknown[] };
    assert.equal(theirs.entry?.length ?? 0, 0);
    const mine = (await json(await get(token, `/Patient/${alice}/Observation`))) as {
      entry?: { resource: { id: string } }[];
    };
    assert.deepEqual(
      mine.entry?.map((e) => e.resource.id),
      [aliceObs],
    );
    const system = (await json(await get(token, '?_type=Observation,Patient'))) as {
      entry?: { resource: { id: string } }[];
    };
    assert.deepEqual(system.entry?.map((e) => e.resource.id).sort(), [alice, aliceObs].sort());
    const rev = (await json(await get(token, '/Patient?_revinclude=Observation:subject'))) as {
      entry?: { resource: { id: string } }[];
    };
    assert.deepEqual(rev.entry?.map((e) => e.resource.id).sort(), [alice, aliceObs].sort());
    assert.equal((await get(token, `/Patient/${bob}/$everything`)).status, 403);
    assert.equal((await get(token, `/Patient/${alice}/$everything`)).status, 200);
  });

  test('types outside the patient compartment can be read but not written', async () => {
    const orgs = (await json(await get(token, '/Organization'))) as { entry?: unknown[] };
    assert.equal(orgs.entry?.length, 1);
    assert.equal(
      (await post(token, '/Organization', { resourceType: 'Organization', name: 'x' })).status,
      403,
      'no scope to create',
    );
  });

  test('writes inside the compartment work; writes about another patient are refused', async () => {
    const mine = await post(token, '/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'bp' },
      subject: { reference: `Patient/${alice}` },
    });
    assert.equal(mine.status, 201);
    const theirs = await post(token, '/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'bp' },
      subject: { reference: `Patient/${bob}` },
    });
    assert.equal(theirs.status, 403);
    const moved = await fetch(`${s.fhir}/Observation/${aliceObs}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Observation',
        id: aliceObs,
        status: 'final',
        code: { text: 'weight' },
        subject: { reference: `Patient/${bob}` },
      }),
    });
    assert.equal(moved.status, 403, 'a record cannot be moved out of the compartment');
    assert.equal(
      (
        await post(token, '/Condition', {
          resourceType: 'Condition',
          subject: { reference: `Patient/${alice}` },
        })
      ).status,
      403,
      'patient/*.rs does not allow create',
    );
    const bundle = await fetch(s.fhir, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'x' },
              subject: { reference: `Patient/${bob}` },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      }),
    });
    assert.equal(bundle.status, 403, 'a transaction cannot write outside the compartment either');
  });

  test('an app token reaches the FHIR API only, not the administration nor the second factor', async () => {
    const r = await fetch(`${s.url}/admin/users`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 403);
    const mfa = await fetch(`${s.url}/auth/mfa/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(mfa.status, 403);
  });
});

describe('v1 and v2 scopes, intersected with the role', () => {
  test('v1 patient/*.read allows reading and searching the patient, not writing', async () => {
    const t = (await launch(appId, 'launch/patient patient/*.read', 'dr-app', alice)).access_token;
    assert.equal((await get(t, `/Observation/${aliceObs}`)).status, 200);
    assert.equal((await get(t, `/Observation/${bobObs}`)).status, 403);
    assert.equal(
      (
        await post(t, '/Observation', {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: `Patient/${alice}` },
        })
      ).status,
      403,
    );
  });

  test('v2 user/*.rs reaches every patient the user may see, read-only', async () => {
    const t = (await launch(appId, 'user/*.rs', 'dr-app')).access_token;
    const all = (await json(await get(t, '/Observation'))) as { entry?: unknown[] };
    assert.ok((all.entry?.length ?? 0) >= 2);
    assert.equal((await get(t, `/Patient/${bob}`)).status, 200);
    assert.equal((await post(t, '/Patient', { resourceType: 'Patient' })).status, 403);
  });

  test('v1 user/*.read cannot exceed the role: a registrar still cannot read observations', async () => {
    const t = (await launch(appId, 'user/*.read', 'reg-app')).access_token;
    assert.equal((await get(t, `/Patient/${bob}`)).status, 200);
    assert.equal((await get(t, `/Observation/${bobObs}`)).status, 403);
  });

  test('scopes the client may not have are not granted', async () => {
    const r = await launch(appId, 'user/*.rs user/*.cruds system/*.rs', 'dr-app');
    assert.equal(r.scope, 'user/*.rs');
  });
});

describe('confidential apps', () => {
  test('a confidential app exchanges its code with its secret (HTTP Basic); a wrong secret is invalid_client', async () => {
    const c = await registerClient({
      name: 'Chart viewer',
      type: 'confidential',
      redirect_uris: [REDIRECT],
      scopes: 'user/*.rs',
    });
    const basic = (secret: string) => `Basic ${Buffer.from(`${c.client_id}:${secret}`).toString('base64')}`;
    const exchange = async (secret: string) => {
      const pkce = newPkce();
      const flow = await authorizeInBrowser(s.url, authorizeUrl(c.client_id as string, 'user/*.rs', pkce), {
        username: 'dr-app',
        password: PASSWORD,
      });
      return fetch(`${s.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(secret) },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: flow.location?.searchParams.get('code') as string,
          redirect_uri: REDIRECT,
          code_verifier: pkce.verifier,
        }),
      });
    };
    const wrong = await exchange('not-the-secret');
    assert.equal(wrong.status, 401);
    assert.equal((await json(wrong)).error, 'invalid_client');
    const right = await exchange(c.client_secret as string);
    assert.equal(right.status, 200);
    assert.equal((await json(right)).scope, 'user/*.rs');
  });
});

describe('refresh tokens', () => {
  test('online_access gives a refresh token that works once (rotation) and may narrow the scopes', async () => {
    const first = await launch(appId, 'launch/patient patient/*.rs online_access', 'dr-app', alice);
    assert.equal(typeof first.refresh_token, 'string');
    const r = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token as string,
      client_id: appId,
    });
    const second = await json(r);
    assert.equal(r.status, 200, JSON.stringify(second));
    assert.equal(second.patient, alice);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await get(second.access_token as string, `/Patient/${alice}`)).status, 200);
    const replay = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token as string,
      client_id: appId,
    });
    assert.equal((await json(replay)).error, 'invalid_grant');
    const wider = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: second.refresh_token as string,
      client_id: appId,
      scope: 'user/*.cruds',
    });
    assert.equal((await json(wider)).error, 'invalid_scope');
  });

  test('without online_access or offline_access there is no refresh token', async () => {
    assert.equal((await launch(appId, 'user/*.rs', 'dr-app')).refresh_token, undefined);
  });
});

describe('SMART Backend Services (client_credentials with private_key_jwt)', () => {
  let clientId: string;
  let privateKey: CryptoKey;
  const tokenUrl = () => `${s.url}/oauth/token`;
  const assertion = (
    claims: { aud?: string; jti?: string; exp?: string } = {},
    alg = 'ES384',
    key = privateKey,
  ) =>
    new SignJWT({})
      .setProtectedHeader({ alg, kid: 'k1', typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(claims.aud ?? tokenUrl())
      .setJti(claims.jti ?? randomUUID())
      .setExpirationTime(claims.exp ?? '4m')
      .sign(key);
  const credentials = async (jwt: string, scope = 'system/*.rs') =>
    tokenRequest({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    });

  before(async () => {
    const pair = await generateKeyPair('ES384', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES384' };
    clientId = (
      await registerClient({
        name: 'Registry feed',
        type: 'confidential',
        scopes: 'system/*.rs',
        jwks: { keys: [jwk] },
        roles: ['system-integration'],
      })
    ).client_id as string;
  });

  test('a signed assertion gets a short-lived token that reads every patient and cannot write', async () => {
    const r = await credentials(await assertion());
    const body = await json(r);
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.equal(body.scope, 'system/*.rs');
    assert.ok((body.expires_in as number) <= 300);
    assert.equal(body.refresh_token, undefined);
    const t = body.access_token as string;
    const patients = (await json(await get(t, '/Patient'))) as { entry?: unknown[] };
    assert.equal(patients.entry?.length, 2);
    assert.equal((await post(t, '/Patient', { resourceType: 'Patient' })).status, 403);
  });

  test('a backend service with system/*.rs may start a bulk export; an app with patient/ scopes may not', async () => {
    const t = (await json(await credentials(await assertion()))).access_token as string;
    const kick = await fetch(`${s.fhir}/$export`, {
      headers: { authorization: `Bearer ${t}`, prefer: 'respond-async' },
    });
    await kick.text();
    assert.equal(kick.status, 202);
    const app = (await launch(appId, 'launch/patient patient/*.rs', 'dr-app', alice)).access_token;
    const refused = await fetch(`${s.fhir}/$export`, {
      headers: { authorization: `Bearer ${app}`, prefer: 'respond-async' },
    });
    assert.equal(refused.status, 403);
  });

  test('a replayed jti, a wrong aud, a long expiry and a foreign key are refused', async () => {
    const jwt = await assertion({ jti: 'once-only' });
    assert.equal((await credentials(jwt)).status, 200);
    const replay = await credentials(jwt);
    assert.equal(replay.status, 401);
    assert.match(String((await json(replay)).error_description), /jti replayed/);
    const aud = await credentials(await assertion({ aud: `${s.url}/somewhere-else` }));
    assert.equal(aud.status, 401);
    assert.equal((await json(aud)).error, 'invalid_client');
    assert.equal((await credentials(await assertion({ exp: '1h' }))).status, 401);
    const stranger = (await generateKeyPair('ES384')).privateKey;
    assert.equal((await credentials(await assertion({}, 'ES384', stranger))).status, 401);
  });

  test('RS384 keys work too, and system scopes the client may not have are not granted', async () => {
    const pair = await generateKeyPair('RS384', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS384' };
    const id = (
      await registerClient({
        name: 'Billing',
        type: 'confidential',
        scopes: 'system/Patient.rs',
        jwks: { keys: [jwk] },
        roles: ['system-integration'],
      })
    ).client_id as string;
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS384', kid: 'k1' })
      .setIssuer(id)
      .setSubject(id)
      .setAudience(tokenUrl())
      .setJti(randomUUID())
      .setExpirationTime('3m')
      .sign(pair.privateKey);
    const r = await json(await credentials(jwt, 'system/*.rs system/Patient.rs'));
    assert.equal(r.scope, 'system/Patient.rs');
    assert.equal((await get(r.access_token as string, '/Observation')).status, 403);
    assert.equal((await get(r.access_token as string, '/Patient')).status, 200);
  });
});

describe('signing-key rotation', () => {
  test('after rotation the old key still verifies; once retired it does not', async () => {
    const oldToken = s.token;
    const oldKid = decodeProtectedHeader(oldToken).kid as string;
    const rotated = await s.request('POST', `${s.url}/admin/signing-keys`);
    assert.equal(rotated.status, 201);
    const newKid = rotated.body.kid as string;
    assert.notEqual(newKid, oldKid);
    assert.equal(
      (await get(oldToken, '/Patient')).status,
      200,
      'tokens signed by the previous key still work',
    );
    const { token: newToken } = await signInAdministrator(s.url, s.totpSecret);
    assert.equal(decodeProtectedHeader(newToken).kid, newKid, 'new tokens are signed by the new key');
    const jwks = (await json(await fetch(`${s.url}/.well-known/jwks.json`))).keys as { kid: string }[];
    assert.deepEqual(jwks.map((k) => k.kid).sort(), [oldKid, newKid].sort());
    const retired = await fetch(`${s.url}/admin/signing-keys/${oldKid}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${newToken}` },
    });
    assert.equal(retired.status, 204);
    assert.equal((await get(oldToken, '/Patient')).status, 401, 'a retired key verifies nothing');
    assert.equal((await get(newToken, '/Patient')).status, 200);
    const after = (await json(await fetch(`${s.url}/.well-known/jwks.json`))).keys as { kid: string }[];
    assert.deepEqual(
      after.map((k) => k.kid),
      [newKid],
    );
  });
});

test('the CapabilityStatement names SMART-on-FHIR and the OAuth endpoints', async () => {
  const c = await json(await fetch(`${s.fhir}/metadata`));
  const security = (
    c.rest as {
      security: {
        service: { coding: { code: string }[] }[];
        extension: { extension: { url: string; valueUri: string }[] }[];
      };
    }[]
  )[0].security;
  assert.ok(security.service[0].coding.some((x) => x.code === 'SMART-on-FHIR'));
  const uris = Object.fromEntries(security.extension[0].extension.map((e) => [e.url, e.valueUri]));
  assert.equal(uris.authorize, `${s.url}/oauth/authorize`);
  assert.equal(uris.token, `${s.url}/oauth/token`);
});
