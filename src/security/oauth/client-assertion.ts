// SMART Backend Services client authentication (private_key_jwt): a JWT signed by a key the client
// registered (RS384 or ES384), with iss = sub = client_id, aud = the token endpoint, an expiry at most
// five minutes ahead, and a jti never seen before.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import type { Queryable } from '../../platform/db/database.js';
import { type ClientRow, findClient, recordAssertionJti } from '../../store/oauth.js';
import { OAuthError } from './oauth-error.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGS = ['RS384', 'ES384'];
const MAX_LIFETIME_SECONDS = 300;
const SKEW_SECONDS = 30;

const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export async function verifyClientAssertion(
  db: Queryable,
  assertion: string,
  tokenUrl: string,
): Promise<ClientRow> {
  let clientId: string;
  try {
    clientId = String(decodeJwt(assertion).iss ?? '');
  } catch {
    throw new OAuthError('invalid_client', 'client_assertion is not a JWT');
  }
  const client = await findClient(db, clientId);
  if (!client || client.disabled) throw new OAuthError('invalid_client', 'Unknown or disabled client');
  if (!client.jwks && !client.jwks_url)
    throw new OAuthError('invalid_client', 'The client has no registered keys for private_key_jwt');
  let keys: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;
  if (client.jwks) keys = createLocalJWKSet(JSON.parse(client.jwks) as JSONWebKeySet);
  else {
    const url = client.jwks_url as string;
    keys = remoteSets.get(url) ?? createRemoteJWKSet(new URL(url));
    remoteSets.set(url, keys);
  }
  let payload: { exp?: number; jti?: string };
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      issuer: client.client_id,
      subject: client.client_id,
      audience: tokenUrl,
      algorithms: ASSERTION_ALGS,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: SKEW_SECONDS,
    }));
  } catch (err) {
    throw new OAuthError('invalid_client', `The client assertion was refused: ${(err as Error).message}`);
  }
  const now = Date.now() / 1000;
  if ((payload.exp as number) > now + MAX_LIFETIME_SECONDS + SKEW_SECONDS)
    throw new OAuthError('invalid_client', 'The client assertion must expire within 5 minutes');
  const fresh = await recordAssertionJti(
    db,
    client.client_id,
    String(payload.jti),
    new Date(((payload.exp as number) + SKEW_SECONDS) * 1000),
  );
  if (!fresh) throw new OAuthError('invalid_client', 'The client assertion was used before (jti replayed)');
  return client;
}
