// SQL for OAuth clients, authorization codes, refresh tokens and seen client-assertion ids.
import type { Queryable } from '../platform/db/database.js';

export interface ClientRow {
  client_id: string;
  name: string;
  type: 'public' | 'confidential';
  redirect_uris: string[];
  scopes: string;
  secret_hash: string | null;
  jwks: string | null;
  jwks_url: string | null;
  roles: string[];
  created_by: string;
  created_at: string;
  disabled: boolean;
}

const CLIENT_COLUMNS =
  'client_id, name, type, redirect_uris, scopes, secret_hash, jwks, jwks_url, roles, created_by, created_at::text AS created_at, disabled';

export async function insertClient(
  db: Queryable,
  c: Omit<ClientRow, 'created_at' | 'disabled'>,
): Promise<void> {
  await db.query(
    `INSERT INTO oauth_client (client_id, name, type, redirect_uris, scopes, secret_hash, jwks, jwks_url, roles, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      c.client_id,
      c.name,
      c.type,
      c.redirect_uris,
      c.scopes,
      c.secret_hash,
      c.jwks,
      c.jwks_url,
      c.roles,
      c.created_by,
    ],
  );
}

export async function findClient(db: Queryable, clientId: string): Promise<ClientRow | undefined> {
  const r = await db.query<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM oauth_client WHERE client_id = $1`, [
    clientId,
  ]);
  return r.rows[0];
}

export async function listClients(db: Queryable): Promise<ClientRow[]> {
  return (await db.query<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM oauth_client ORDER BY created_at`)).rows;
}

export interface CodeGrant {
  client_id: string;
  username: string;
  sid_sealed: string;
  redirect_uri: string;
  scope: string;
  patient: string | null;
  code_challenge: string;
}

export async function insertCode(
  db: Queryable,
  codeHash: string,
  g: CodeGrant,
  seconds: number,
): Promise<void> {
  await db.query(
    `INSERT INTO oauth_code (code_hash, client_id, username, sid_sealed, redirect_uri, scope, patient, code_challenge, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))`,
    [
      codeHash,
      g.client_id,
      g.username,
      g.sid_sealed,
      g.redirect_uri,
      g.scope,
      g.patient,
      g.code_challenge,
      seconds,
    ],
  );
}

/** Marks a code used and returns it, once: a second redemption, or an expired code, returns undefined. */
export async function redeemCode(db: Queryable, codeHash: string): Promise<CodeGrant | undefined> {
  const r = await db.query<CodeGrant>(
    `UPDATE oauth_code SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
     RETURNING client_id, username, sid_sealed, redirect_uri, scope, patient, code_challenge`,
    [codeHash],
  );
  return r.rows[0];
}

export interface RefreshGrant {
  client_id: string;
  username: string;
  sid_sealed: string;
  scope: string;
  patient: string | null;
}

export async function insertRefresh(
  db: Queryable,
  tokenHash: string,
  g: RefreshGrant,
  seconds: number,
): Promise<void> {
  await db.query(
    `INSERT INTO oauth_refresh (token_hash, client_id, username, sid_sealed, scope, patient, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
    [tokenHash, g.client_id, g.username, g.sid_sealed, g.scope, g.patient, seconds],
  );
}

/** Uses a refresh token up (rotation: each one works once) and returns its grant. */
export async function redeemRefresh(db: Queryable, tokenHash: string): Promise<RefreshGrant | undefined> {
  const r = await db.query<RefreshGrant>(
    `UPDATE oauth_refresh SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
     RETURNING client_id, username, sid_sealed, scope, patient`,
    [tokenHash],
  );
  return r.rows[0];
}

/** Records a client assertion's jti; false when it was seen before (a replay). */
export async function recordAssertionJti(
  db: Queryable,
  clientId: string,
  jti: string,
  expiresAt: Date,
): Promise<boolean> {
  await db.query('DELETE FROM oauth_assertion_jti WHERE expires_at < now()');
  const r = await db.query(
    'INSERT INTO oauth_assertion_jti (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [clientId, jti, expiresAt.toISOString()],
  );
  return r.rowCount > 0;
}
