// SQL for user accounts and token-signing keys.
import type { Queryable } from '../platform/db/database.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  roles: string[];
  disabled: boolean;
}

export async function countUsers(db: Queryable): Promise<number> {
  const r = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM app_user');
  return Number(r.rows[0].n);
}

export async function findUser(db: Queryable, username: string): Promise<UserRow | undefined> {
  const r = await db.query<UserRow>(
    'SELECT id::text, username, password_hash, roles, disabled FROM app_user WHERE username = $1',
    [username],
  );
  return r.rows[0];
}

export async function insertUser(
  db: Queryable,
  username: string,
  passwordHash: string,
  roles: string[],
): Promise<void> {
  await db.query(
    'INSERT INTO app_user (username, password_hash, roles) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING',
    [username, passwordHash, roles],
  );
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
