// SQL for user accounts, sessions and token-signing keys.
import type { Queryable } from '../platform/db/database.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  roles: string[];
  disabled: boolean;
  failed_attempts: number;
  locked_until: string | null;
  totp_secret: string | null;
  totp_enabled: boolean;
}

const USER_COLUMNS =
  'id::text, username, password_hash, roles, disabled, failed_attempts, locked_until, totp_secret, totp_enabled';

export async function countUsers(db: Queryable): Promise<number> {
  const r = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM app_user');
  return Number(r.rows[0].n);
}

export async function findUser(db: Queryable, username: string): Promise<UserRow | undefined> {
  const r = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM app_user WHERE username = $1`, [username]);
  return r.rows[0];
}

export async function listUsers(db: Queryable): Promise<UserRow[]> {
  return (await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM app_user ORDER BY username`)).rows;
}

/** Inserts a user; false when the username is taken. */
export async function insertUser(
  db: Queryable,
  username: string,
  passwordHash: string,
  roles: string[],
): Promise<boolean> {
  const r = await db.query(
    'INSERT INTO app_user (username, password_hash, roles) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING',
    [username, passwordHash, roles],
  );
  return r.rowCount > 0;
}

/** Counts a failed sign-in; locks the account for `lockSeconds` once `maxAttempts` is reached. */
export async function recordFailedSignIn(
  db: Queryable,
  username: string,
  maxAttempts: number,
  lockSeconds: number,
): Promise<void> {
  await db.query(
    `UPDATE app_user SET failed_attempts = failed_attempts + 1,
            locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
      WHERE username = $1`,
    [username, maxAttempts, lockSeconds],
  );
}

/**
 * Records that the one-time code of this time step was used; false when it (or a later one) already
 * was: the code is a replay.
 */
export async function claimTotpStep(db: Queryable, username: string, step: number): Promise<boolean> {
  const r = await db.query(
    'UPDATE app_user SET totp_last_step = $2 WHERE username = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING 1',
    [username, step],
  );
  return r.rows.length === 1;
}

export async function recordSuccessfulSignIn(db: Queryable, username: string): Promise<void> {
  await db.query('UPDATE app_user SET failed_attempts = 0, locked_until = NULL WHERE username = $1', [
    username,
  ]);
}

export async function setTotp(
  db: Queryable,
  username: string,
  sealedSecret: string | null,
  enabled: boolean,
): Promise<void> {
  await db.query('UPDATE app_user SET totp_secret = $2, totp_enabled = $3 WHERE username = $1', [
    username,
    sealedSecret,
    enabled,
  ]);
}

export async function setPassword(db: Queryable, username: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE app_user SET password_hash = $2, password_changed_at = now() WHERE username = $1', [
    username,
    passwordHash,
  ]);
}

export interface SessionRow {
  id: string;
  username: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  mfa: boolean;
}

export async function insertSession(
  db: Queryable,
  id: string,
  username: string,
  lifetimeSeconds: number,
  mfa: boolean,
): Promise<void> {
  await db.query(
    'INSERT INTO app_session (id, username, expires_at, mfa) VALUES ($1, $2, now() + make_interval(secs => $3), $4)',
    [id, username, lifetimeSeconds, mfa],
  );
}

export async function findSession(db: Queryable, id: string): Promise<SessionRow | undefined> {
  const r = await db.query<SessionRow>(
    'SELECT id, username, last_seen_at, expires_at, revoked_at, mfa FROM app_session WHERE id = $1',
    [id],
  );
  return r.rows[0];
}

export async function touchSession(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE app_session SET last_seen_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
}

export async function revokeSession(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE app_session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
}

export interface KeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
}

export async function activeKeys(db: Queryable): Promise<KeyRow[]> {
  const r = await db.query<KeyRow>(
    'SELECT kid, private_jwk, public_jwk FROM signing_key WHERE retired_at IS NULL ORDER BY created_at DESC',
  );
  return r.rows;
}

export async function insertKey(db: Queryable, k: KeyRow): Promise<void> {
  await db.query(
    'INSERT INTO signing_key (kid, private_jwk, public_jwk) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [k.kid, k.private_jwk, k.public_jwk],
  );
}

/** All keys, newest first, with their state (for the key administration route). */
export async function listKeys(
  db: Queryable,
): Promise<{ kid: string; created_at: string; retired_at: string | null }[]> {
  const r = await db.query<{ kid: string; created_at: string; retired_at: string | null }>(
    'SELECT kid, created_at::text AS created_at, retired_at::text AS retired_at FROM signing_key ORDER BY created_at DESC',
  );
  return r.rows;
}

/** Retires a key: tokens it signed stop verifying. False when no such active key. */
export async function retireKey(db: Queryable, kid: string): Promise<boolean> {
  const r = await db.query(
    'UPDATE signing_key SET retired_at = now() WHERE kid = $1 AND retired_at IS NULL',
    [kid],
  );
  return r.rowCount > 0;
}
