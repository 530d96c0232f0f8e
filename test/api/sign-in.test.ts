// Signing in as people do: the password policy, lockout after failures, the TOTP second factor that
// privileged roles must set up, sessions that end when idle or signed out, and the audit of all of it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { currentTotp } from '../../src/security/identity/totp.js';
import { postForm, startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'signin', config: { lockoutAttempts: 3, lockoutSeconds: 2 } });
});
after(() => s.stop());

const signIn = (username: string, password: string, totp?: string) =>
  postForm(`${s.url}/auth/token`, { grant_type: 'password', username, password, ...(totp ? { totp } : {}) });
const createUser = (username: string, password: string, roles: string[]) =>
  s.request(
    'POST',
    `${s.url}/admin/users`,
    { username, password, roles },
    { 'content-type': 'application/json' },
  );

describe('password policy (NIST SP 800-63B)', () => {
  test('refuses short, common, guessable and username-containing passwords, with the reason', async () => {
    const short = await createUser('ann', 'Xy7#short', ['coder']);
    assert.equal(short.status, 400);
    assert.match(short.body.issue[0].diagnostics, /at least 12 characters/);
    const common = await createUser('ann', 'password1234', ['coder']);
    assert.match(common.body.issue[0].diagnostics, /most commonly used|too easy to guess/);
    const guessable = await createUser('ann', 'qwertyuiop12', ['coder']);
    assert.match(guessable.body.issue[0].diagnostics, /too easy to guess|commonly used/);
    const named = await createUser('annabel', 'annabel-and-her-cat-1999', ['coder']);
    assert.match(named.body.issue[0].diagnostics, /contains the username/);
    assert.deepEqual(named.body.issue[0].expression, ['password']);
  });

  test('accepts a long passphrase and an allowed role; refuses unknown roles and taken names', async () => {
    assert.equal((await createUser('carla', 'violet tractor umbrella 1987', ['coder'])).status, 201);
    assert.equal((await createUser('carla', 'violet tractor umbrella 1987', ['coder'])).status, 409);
    const badRole = await createUser('dave', 'violet tractor umbrella 1987', ['wizard']);
    assert.equal(badRole.status, 400);
    assert.deepEqual(badRole.body.issue[0].expression, ['roles']);
  });
});

describe('lockout', () => {
  test('three wrong passwords lock the account, even against the right password, until the lock expires', async () => {
    await createUser('erin', 'marble pigeon lantern 2031', ['coder']);
    for (let i = 0; i < 3; i++) assert.equal((await signIn('erin', 'wrong password here')).status, 401);
    const locked = await signIn('erin', 'marble pigeon lantern 2031');
    assert.equal(locked.status, 401);
    assert.match(JSON.stringify(locked.body), /locked after 3 failed sign-ins/);
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await signIn('erin', 'marble pigeon lantern 2031')).status, 200);
  });

  test('an unknown user and a wrong password get the same answer', async () => {
    const a = await signIn('nobody-here', 'whatever password 1');
    const b = await signIn('carla', 'whatever password 1');
    assert.equal(a.status, 401);
    assert.deepEqual(a.body, b.body);
  });
});

describe('second factor (TOTP, RFC 6238)', () => {
  test('a privileged role must set it up before anything else, then must use it', async () => {
    const created = await createUser('priya', 'saffron glacier compass 77', ['privacy-officer']);
    assert.equal(created.status, 201, created.text);
    const first = await signIn('priya', 'saffron glacier compass 77');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.mfa_enrollment_required, true);
    const limited = first.body.access_token as string;
    const blocked = await fetch(`${s.fhir}/Patient`, { headers: { authorization: `Bearer ${limited}` } });
    assert.equal(blocked.status, 403, 'an enrollment-only token reaches no data');
    const enrolled = await postForm(`${s.url}/auth/mfa/enroll`, {}, limited);
    const secret = enrolled.body.secret as string;
    assert.match(enrolled.body.otpauth_uri as string, /^otpauth:\/\/totp\/Chartroom:priya\?/);
    assert.equal((await postForm(`${s.url}/auth/mfa/activate`, { code: '000000' }, limited)).status, 400);
    assert.equal(
      (await postForm(`${s.url}/auth/mfa/activate`, { code: currentTotp(secret, 'priya') }, limited)).status,
      204,
    );

    const noCode = await signIn('priya', 'saffron glacier compass 77');
    assert.equal(noCode.status, 401);
    assert.match(JSON.stringify(noCode.body), /one-time code .* is required/);
    assert.equal((await signIn('priya', 'saffron glacier compass 77', '123456')).status, 401);
    const code = currentTotp(secret, 'priya');
    const ok = await signIn('priya', 'saffron glacier compass 77', code);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.scope, 'user/*.cruds');
    // A code signs in once: replayed within its window (seen over a shoulder, say), it is refused.
    const replay = await signIn('priya', 'saffron glacier compass 77', code);
    assert.equal(replay.status, 401);
    assert.match(JSON.stringify(replay.body), /already used/);
    const older = currentTotp(secret, 'priya', Date.now() - 30_000);
    assert.equal(
      (await signIn('priya', 'saffron glacier compass 77', older)).status,
      401,
      'nor an earlier one',
    );
    const next = currentTotp(secret, 'priya', Date.now() + 30_000);
    assert.equal(
      (await signIn('priya', 'saffron glacier compass 77', next)).status,
      200,
      'the next code works',
    );
  });

  test('the TOTP seed is stored encrypted', async () => {
    const row = await s.running.services.db.query<{ totp_secret: string }>(
      "SELECT totp_secret FROM app_user WHERE username = 'admin'",
    );
    assert.ok(row.rows[0].totp_secret.startsWith('v1.'));
    assert.ok(!row.rows[0].totp_secret.includes(s.totpSecret));
  });
});

describe('sessions', () => {
  test('sign-out ends the session: the same token is refused afterwards', async () => {
    const { body } = await signIn('carla', 'violet tractor umbrella 1987');
    const token = body.access_token as string;
    assert.equal((await postForm(`${s.url}/auth/logout`, {}, token)).status, 204);
    const after = await fetch(`${s.url}/admin/users`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401);
    assert.match(await after.text(), /signed out/);
  });

  test('a session ends after the idle timeout', async () => {
    const quick = await startTestServer({ label: 'idle', config: { sessionIdleSeconds: 2 } });
    try {
      const me = (path: string) =>
        fetch(`${quick.url}${path}`, { headers: { authorization: `Bearer ${quick.token}` } });
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await me('/admin/users')).status, 200, 'activity within the timeout keeps the session');
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await me('/admin/users')).status, 200, 'and restarts the clock');
      await new Promise((r) => setTimeout(r, 2300));
      const idle = await me('/admin/users');
      assert.equal(idle.status, 401);
      assert.match(await idle.text(), /without activity/);
    } finally {
      await quick.stop();
    }
  });

  test('sign-ins, failures and sign-outs are in the audit trail', async () => {
    await s.running.services.db.query('SELECT 1');
    await new Promise((r) => setTimeout(r, 200)); // the audit writer flushes every 50 ms
    const r = await s.running.services.db.query<{ action: string; outcome: string; n: number }>(
      "SELECT action, outcome, count(*)::int AS n FROM audit_event WHERE action IN ('sign-in', 'sign-out') GROUP BY action, outcome",
    );
    const seen = Object.fromEntries(r.rows.map((x) => [`${x.action} ${x.outcome}`, x.n]));
    assert.ok(seen['sign-in 200'] >= 3, JSON.stringify(seen));
    assert.ok(seen['sign-in 401'] >= 3, JSON.stringify(seen));
    assert.ok(seen['sign-out 204'] >= 1, JSON.stringify(seen));
  });
});
