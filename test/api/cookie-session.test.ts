// The web app's cookie session: a hardened cookie, a CSRF token required on every state-changing
// request it authenticates, sign-out that revokes and clears it; and every route but sign-in,
// metadata, .well-known, the OAuth endpoints and the web panel's files refuses a caller who is not signed in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ruleFor } from '../../src/security/policy/route-rules.js';
import { signInAdministrator, startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
const PASSWORD = 'copper kettle autumn river 58';

before(async () => {
  s = await startTestServer({ label: 'cookie', config: { sessionIdleSeconds: 2 } });
  const r = await s.request(
    'POST',
    `${s.url}/admin/users`,
    { username: 'clerk', password: PASSWORD, roles: ['him-technician'] },
    { 'content-type': 'application/json' },
  );
  assert.equal(r.status, 201, r.text);
});
after(() => s.stop());

async function signInWithCookie(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const r = await fetch(`${s.url}/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'clerk', password: PASSWORD }),
  });
  const body = (await r.json()) as { csrf_token: string };
  assert.equal(r.status, 200, JSON.stringify(body));
  const setCookie = r.headers.get('set-cookie') as string;
  return { cookie: setCookie.split(';')[0], csrf: body.csrf_token, setCookie };
}

const withCookie = (cookie: string, method: string, path: string, body?: unknown, csrf?: string) =>
  fetch(`${s.fhir}${path}`, {
    method,
    headers: {
      cookie,
      ...(body ? { 'content-type': 'application/fhir+json' } : {}),
      ...(csrf !== undefined ? { 'x-csrf-token': csrf } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });

const patient = { resourceType: 'Patient', name: [{ family: 'Cookie' }] };

describe('cookie session with CSRF protection', () => {
  test('sign-in sets an HttpOnly, SameSite=Strict, Path=/ session cookie (Secure only over TLS)', async () => {
    const { setCookie, csrf } = await signInWithCookie();
    assert.match(setCookie, /^chartroom_session=[A-Za-z0-9_-]{40,};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    assert.doesNotMatch(setCookie, /Secure/, 'plain HTTP in tests: no Secure flag (it is set behind TLS)');
    assert.ok(csrf.length >= 40);
  });

  test('reads work with the cookie alone; writes need the CSRF token: missing or wrong -> 403, right -> OK', async () => {
    const { cookie, csrf } = await signInWithCookie();
    assert.equal((await withCookie(cookie, 'GET', '/Patient')).status, 200);
    const missing = await withCookie(cookie, 'POST', '/Patient', patient);
    assert.equal(missing.status, 403);
    const outcome = (await missing.json()) as { resourceType: string; issue: { diagnostics: string }[] };
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.match(outcome.issue[0].diagnostics, /CSRF token/);
    assert.equal((await withCookie(cookie, 'POST', '/Patient', patient, 'forged-token')).status, 403);
    const other = await signInWithCookie();
    assert.equal(
      (await withCookie(cookie, 'POST', '/Patient', patient, other.csrf)).status,
      403,
      "another session's token does not fit",
    );
    assert.equal((await withCookie(cookie, 'POST', '/Patient', patient, csrf)).status, 201);
  });

  test('a cross-site sign-in request is refused (login CSRF)', async () => {
    const r = await fetch(`${s.url}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ username: 'clerk', password: PASSWORD }),
    });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('set-cookie'), null);
  });

  test('GET /auth/session repeats the CSRF token for a reloaded page', async () => {
    const { cookie, csrf } = await signInWithCookie();
    const r = await fetch(`${s.url}/auth/session`, { headers: { cookie } });
    const body = (await r.json()) as { username: string; csrf_token: string; idle_timeout: number };
    assert.equal(body.username, 'clerk');
    assert.equal(body.csrf_token, csrf);
    assert.equal(body.idle_timeout, 2);
  });

  test('sign-out needs the CSRF token, revokes the session and clears the cookie', async () => {
    const { cookie, csrf } = await signInWithCookie();
    const forged = await fetch(`${s.url}/auth/session`, { method: 'DELETE', headers: { cookie } });
    assert.equal(forged.status, 403, 'a cross-site page cannot sign the user out either');
    const out = await fetch(`${s.url}/auth/session`, {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /chartroom_session=;.*Max-Age=0/);
    assert.equal((await withCookie(cookie, 'GET', '/Patient')).status, 401, 'the old cookie is dead');
  });

  test('the cookie session ends after the idle timeout', async () => {
    const { cookie } = await signInWithCookie();
    assert.equal((await withCookie(cookie, 'GET', '/Patient')).status, 200);
    await new Promise((r) => setTimeout(r, 2600));
    const r = await withCookie(cookie, 'GET', '/Patient');
    assert.equal(r.status, 401);
    assert.match(JSON.stringify(await r.json()), /without activity/);
  });

  test('a bearer token needs no CSRF token (it is not sent by browsers on their own)', async () => {
    // (signed in afresh: the idle timeout of this server is two seconds)
    const { token } = await signInAdministrator(s.url, s.totpSecret);
    const r = await fetch(`${s.fhir}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(patient),
    });
    assert.equal(r.status, 201);
  });
});

describe('not signed in', () => {
  test('every route except sign-in, metadata, .well-known, the OAuth endpoints and the web panel files answers 401', async () => {
    const open: string[] = [];
    const wrong: string[] = [];
    for (const route of s.running.app.routeList) {
      const rule = ruleFor(route.method, route.url);
      const path = route.url.replace(':type', 'Patient').replace(/:[a-z]+/g, 'x');
      const r = await fetch(`${s.url}${path}`, {
        method: route.method,
        headers:
          route.method === 'GET' || route.method === 'DELETE' ? {} : { 'content-type': 'application/json' },
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}',
        redirect: 'manual',
      });
      await r.text();
      if (rule?.kind === 'open') open.push(`${route.method} ${route.url}`);
      else if (r.status !== 401) wrong.push(`${route.method} ${route.url}: ${r.status}`);
    }
    assert.deepEqual(wrong, []);
    assert.deepEqual(
      open.sort(),
      [
        'GET /.well-known/jwks.json',
        'GET /.well-known/smart-configuration',
        'GET /fhir/R4/.well-known/smart-configuration',
        'GET /fhir/R4/metadata',
        'GET /healthz',
        'GET /oauth/authorize',
        'POST /auth/session',
        'POST /auth/token',
        'POST /oauth/authorize',
        'POST /oauth/token',
        'GET /ui/code-search',
        'GET /ui/code-search-page.js',
        'GET /ui/code-search.js',
      ].sort(),
    );
  });
});
