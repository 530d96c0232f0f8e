// SMART discovery: /.well-known/smart-configuration (at the server root and under the FHIR base) and
// the public keys that verify Chartroom's access tokens (all active keys, so rotation is seamless).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ASSERTION_ALGS } from '../../security/oauth/client-assertion.js';
import { OTHER_SCOPES } from '../../security/oauth/clients.js';
import type { AppContext } from '../context.js';
import { baseUrl } from '../fhir/respond.js';

export const tokenEndpoint = (ctx: AppContext) => `${ctx.config.baseUrl}/oauth/token`;
export const fhirBase = (ctx: AppContext) => baseUrl(ctx.config.baseUrl);

export function smartConfiguration(ctx: AppContext) {
  const root = ctx.config.baseUrl;
  return {
    issuer: root,
    jwks_uri: `${root}/.well-known/jwks.json`,
    authorization_endpoint: `${root}/oauth/authorize`,
    token_endpoint: tokenEndpoint(ctx),
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [
      'none',
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    scopes_supported: [
      ...OTHER_SCOPES,
      'patient/*.cruds',
      'patient/*.rs',
      'user/*.cruds',
      'user/*.rs',
      'system/*.cruds',
      'system/*.rs',
      'patient/*.read',
      'patient/*.write',
      'user/*.read',
      'user/*.write',
      'system/*.read',
      'system/*.*',
    ],
    capabilities: [
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-standalone-patient',
      'permission-offline',
      'permission-online',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
}

export function discoveryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const configuration = async (req: FastifyRequest, reply: FastifyReply) => {
    req.audit = { action: 'R', interaction: 'smart-configuration', entities: [], patients: [] };
    reply.header('Cache-Control', 'public, max-age=300');
    return smartConfiguration(ctx);
  };
  app.get('/.well-known/smart-configuration', configuration);
  app.get('/fhir/R4/.well-known/smart-configuration', configuration);
  app.get('/.well-known/jwks.json', async (req, reply) => {
    req.audit = { action: 'R', interaction: 'jwks', entities: [], patients: [] };
    reply.header('Cache-Control', 'public, max-age=60');
    return { keys: ctx.tokens.publicJwks };
  });
}
