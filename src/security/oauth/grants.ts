// The OAuth grants: authorization codes (one-time, short-lived, PKCE-bound), refresh tokens (rotated:
// each works once) and client credentials for backend services. Every user token names the session
// created when the user approved the app, so signing out, the idle timeout and the absolute lifetime
// end the app's access too.
import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type { Queryable } from '../../platform/db/database.js';
import { FhirError } from '../../platform/errors.js';
import { findUser } from '../../store/accounts.js';
import {
  type ClientRow,
  type CodeGrant,
  insertCode,
  insertRefresh,
  redeemCode,
  redeemRefresh,
} from '../../store/oauth.js';
import type { SessionService } from '../identity/sessions.js';
import { OAuthError } from './oauth-error.js';
import { sha256, verifierMatches } from './pkce.js';
import { grantScopes, parseResourceScope, splitScopes } from './scopes.js';
import type { Principal, TokenService } from './tokens.js';

export const CODE_SECONDS = 60;
/** Backend-service tokens are short-lived (SMART recommends five minutes at most). */
export const BACKEND_TOKEN_SECONDS = 300;

export interface GrantServices {
  db: Queryable;
  box: SecretBox;
  tokens: TokenService;
  sessions: SessionService;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient?: string;
  refresh_token?: string;
  need_patient_banner?: boolean;
}

const newSecret = () => randomBytes(32).toString('base64url');

/** After the user approved: a session for the app's tokens and a one-time code for the app. */
export async function issueCode(
  s: GrantServices,
  g: Omit<CodeGrant, 'sid_sealed'> & { mfa: boolean },
): Promise<string> {
  const sid = await s.sessions.create(g.username, g.mfa);
  const code = newSecret();
  const { mfa: _m, ...grant } = g;
  await insertCode(s.db, sha256(code), { ...grant, sid_sealed: s.box.seal(sid) }, CODE_SECONDS);
  return code;
}

export async function exchangeCode(
  s: GrantServices,
  client: ClientRow,
  code: string,
  redirectUri: string | undefined,
  verifier: string | undefined,
): Promise<TokenResponse> {
  if (!code) throw new OAuthError('invalid_request', 'code is required');
  if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
  const g = await redeemCode(s.db, sha256(code));
  if (!g) throw new OAuthError('invalid_grant', 'The code is unknown, expired or already used');
  if (g.client_id !== client.client_id)
    throw new OAuthError('invalid_grant', 'The code was issued to another client');
  if (g.redirect_uri !== redirectUri)
    throw new OAuthError('invalid_grant', 'redirect_uri differs from the one of the authorization request');
  if (!verifierMatches(verifier, g.code_challenge))
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (PKCE)');
  return userTokens(s, client, {
    username: g.username,
    sid: s.box.open(g.sid_sealed),
    scope: g.scope,
    patient: g.patient,
  });
}

export async function refresh(
  s: GrantServices,
  client: ClientRow,
  token: string | undefined,
  narrower: string | undefined,
): Promise<TokenResponse> {
  if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
  const g = await redeemRefresh(s.db, sha256(token));
  if (!g) throw new OAuthError('invalid_grant', 'The refresh token is unknown, expired or already used');
  if (g.client_id !== client.client_id)
    throw new OAuthError('invalid_grant', 'The refresh token was issued to another client');
  let scope = g.scope;
  if (narrower !== undefined) {
    const kept = grantScopes(narrower, g.scope);
    if (kept.length !== splitScopes(narrower).length)
      throw new OAuthError('invalid_scope', 'A refresh may only narrow the scopes granted');
    scope = kept.join(' ');
  }
  return userTokens(s, client, {
    username: g.username,
    sid: s.box.open(g.sid_sealed),
    scope,
    patient: g.patient,
  });
}

async function userTokens(
  s: GrantServices,
  client: ClientRow,
  g: { username: string; sid: string; scope: string; patient: string | null },
): Promise<TokenResponse> {
  try {
    await s.sessions.check(g.sid);
  } catch (err) {
    if (err instanceof FhirError)
      throw new OAuthError('invalid_grant', `The user's session has ended: ${err.message}`);
    throw err;
  }
  const user = await findUser(s.db, g.username);
  if (!user || user.disabled) throw new OAuthError('invalid_grant', 'The user account is not active');
  const principal: Principal = {
    username: g.username,
    roles: user.roles,
    scope: g.scope,
    sid: g.sid,
    clientId: client.client_id,
    ...(g.patient ? { patient: g.patient } : {}),
  };
  const out: TokenResponse = {
    access_token: await s.tokens.issue(principal),
    token_type: 'Bearer',
    expires_in: s.tokens.lifetime,
    scope: g.scope,
    ...(g.patient ? { patient: g.patient, need_patient_banner: true } : {}),
  };
  const scopes = splitScopes(g.scope);
  if (scopes.includes('offline_access') || scopes.includes('online_access')) {
    const rt = newSecret();
    await insertRefresh(
      s.db,
      sha256(rt),
      {
        client_id: client.client_id,
        username: g.username,
        sid_sealed: s.box.seal(g.sid),
        scope: g.scope,
        patient: g.patient,
      },
      s.sessions.maxSeconds,
    );
    out.refresh_token = rt;
  }
  return out;
}

/** SMART Backend Services: a client authenticated by private_key_jwt, acting with its own roles. */
export async function clientCredentials(
  s: GrantServices,
  client: ClientRow,
  authenticatedByKey: boolean,
  requested: string | undefined,
): Promise<TokenResponse> {
  if (!authenticatedByKey || client.roles.length === 0)
    throw new OAuthError(
      'unauthorized_client',
      'client_credentials is for backend clients registered with a key and roles',
    );
  const asked = requested ?? client.scopes;
  const scope = grantScopes(asked, client.scopes)
    .filter((x) => parseResourceScope(x)?.context === 'system')
    .join(' ');
  if (!scope)
    throw new OAuthError(
      'invalid_scope',
      'None of the requested scopes is a system/ scope this client may have',
    );
  const principal: Principal = {
    username: `client:${client.client_id}`,
    roles: client.roles,
    scope,
    sid: '',
    clientId: client.client_id,
  };
  return {
    access_token: await s.tokens.issue(principal, BACKEND_TOKEN_SECONDS),
    token_type: 'Bearer',
    expires_in: Math.min(BACKEND_TOKEN_SECONDS, s.tokens.lifetime),
    scope,
  };
}
