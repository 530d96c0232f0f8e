// OAuth client applications: what a registration must say, and how a client proves itself at the
// token endpoint (none for public apps; a secret, or private_key_jwt, for confidential ones).
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../../platform/db/database.js';
import { badRequest } from '../../platform/errors.js';
import { type ClientRow, findClient } from '../../store/oauth.js';
import { ROLES } from '../policy/permissions.js';
import { ASSERTION_TYPE, verifyClientAssertion } from './client-assertion.js';
import { OAuthError } from './oauth-error.js';
import { sha256 } from './pkce.js';
import { parseResourceScope, splitScopes } from './scopes.js';

/** Scopes other than resource scopes that Chartroom understands. */
export const OTHER_SCOPES = ['launch/patient', 'offline_access', 'online_access'];

export interface Registration {
  row: Omit<ClientRow, 'created_at' | 'disabled'>;
  /** Shown once to the administrator: only its hash is kept. */
  secret?: string;
}

/** Validates a registration request (POST /admin/clients), with a 400 naming the field at fault. */
export function parseRegistration(body: unknown, createdBy: string): Registration {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.name !== 'string' || !b.name.trim()) throw badRequest('name is required', 'name');
  const type = b.type;
  if (type !== 'public' && type !== 'confidential')
    throw badRequest('type must be public or confidential', 'type');
  const redirects = b.redirect_uris ?? [];
  if (!Array.isArray(redirects) || redirects.some((u) => typeof u !== 'string' || !isUrl(u)))
    throw badRequest('redirect_uris must be a list of absolute http(s) URLs', 'redirect_uris');
  if (typeof b.scopes !== 'string' || !b.scopes.trim()) throw badRequest('scopes is required', 'scopes');
  const bad = splitScopes(b.scopes).filter((s) => !parseResourceScope(s) && !OTHER_SCOPES.includes(s));
  if (bad.length) throw badRequest(`Not a supported SMART scope: ${bad.join(' ')}`, 'scopes');
  let jwks: string | null = null;
  if (b.jwks !== undefined) {
    const keys = (b.jwks as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'object' || k === null))
      throw badRequest('jwks must be a JSON Web Key Set: { "keys": [ ... ] }', 'jwks');
    if (keys.some((k) => 'd' in (k as object)))
      throw badRequest('jwks must hold public keys only (a key has a private part "d")', 'jwks');
    jwks = JSON.stringify(b.jwks);
  }
  const jwksUrl = b.jwks_url === undefined ? null : b.jwks_url;
  if (jwksUrl !== null && (typeof jwksUrl !== 'string' || !isUrl(jwksUrl)))
    throw badRequest('jwks_url must be an absolute http(s) URL', 'jwks_url');
  const roles = b.roles ?? [];
  if (!Array.isArray(roles) || roles.some((r) => !ROLES.includes(r as string)))
    throw badRequest(`roles must be a list of: ${ROLES.join(', ')}`, 'roles');
  if (type === 'public' && (jwks || jwksUrl || roles.length))
    throw badRequest('A public client has no keys and no roles of its own', 'type');
  if (type === 'public' && redirects.length === 0)
    throw badRequest('A public client needs at least one redirect URI', 'redirect_uris');
  if (roles.length && !jwks && !jwksUrl)
    throw badRequest(
      'A backend client (with roles) authenticates with a registered key: give jwks or jwks_url',
      'jwks',
    );
  const secret =
    type === 'confidential' && !jwks && !jwksUrl ? randomBytes(32).toString('base64url') : undefined;
  return {
    row: {
      client_id: randomUUID(),
      name: b.name.trim(),
      type,
      redirect_uris: redirects as string[],
      scopes: splitScopes(b.scopes).join(' '),
      secret_hash: secret ? sha256(secret) : null,
      jwks,
      jwks_url: jwksUrl as string | null,
      roles: roles as string[],
      created_by: createdBy,
    },
    secret,
  };
}

function isUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.hash;
  } catch {
    return false;
  }
}

/** The client making a token request, authenticated as its registration requires. */
export async function authenticateClient(
  db: Queryable,
  form: Map<string, string>,
  authorization: string | undefined,
  tokenUrl: string,
): Promise<ClientRow> {
  const assertionType = form.get('client_assertion_type');
  if (assertionType !== undefined) {
    if (assertionType !== ASSERTION_TYPE)
      throw new OAuthError('invalid_client', `client_assertion_type must be ${ASSERTION_TYPE}`);
    const client = await verifyClientAssertion(db, form.get('client_assertion') ?? '', tokenUrl);
    if (form.get('client_id') && form.get('client_id') !== client.client_id)
      throw new OAuthError('invalid_client', 'client_id does not match the client assertion');
    return client;
  }
  let clientId = form.get('client_id');
  let secret = form.get('client_secret');
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  if (!clientId) throw new OAuthError('invalid_client', 'client_id is required');
  const client = await findClient(db, clientId);
  if (!client || client.disabled) throw new OAuthError('invalid_client', 'Unknown or disabled client');
  if (client.type === 'public') return client;
  if (!client.secret_hash)
    throw new OAuthError(
      'invalid_client',
      'This client authenticates with private_key_jwt (client_assertion)',
    );
  const given = Buffer.from(sha256(secret ?? ''));
  const expected = Buffer.from(client.secret_hash);
  if (!secret || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new OAuthError('invalid_client', 'Wrong client secret');
  return client;
}
