// POST /oauth/token: authorization_code (with PKCE), refresh_token and client_credentials (SMART
// Backend Services, private_key_jwt). Errors are answered as RFC 6749 says.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { authenticateClient } from '../../security/oauth/clients.js';
import { clientCredentials, exchangeCode, refresh } from '../../security/oauth/grants.js';
import { OAuthError } from '../../security/oauth/oauth-error.js';
import { fields } from '../auth/token.js';
import type { AppContext } from '../context.js';
import { tokenEndpoint } from './discovery.js';

export function sendOAuthError(reply: FastifyReply, err: OAuthError) {
  if (err.status === 401) reply.header('WWW-Authenticate', 'Basic realm="chartroom"');
  reply.header('Cache-Control', 'no-store');
  return reply.code(err.status).send({ error: err.error, error_description: err.description });
}

export function oauthTokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/oauth/token', async (req, reply) => {
    const f = fields(req);
    const grant = f.get('grant_type') ?? '';
    req.audit = { action: 'E', interaction: `oauth-token ${grant}`.trim(), entities: [], patients: [] };
    try {
      if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grant))
        throw new OAuthError(
          'unsupported_grant_type',
          'grant_type must be authorization_code, refresh_token or client_credentials',
        );
      const client = await authenticateClient(ctx.db, f, req.headers.authorization, tokenEndpoint(ctx));
      req.audit.entities = [`client/${client.client_id}`];
      const services = { db: ctx.db, box: ctx.box, tokens: ctx.tokens, sessions: ctx.sessions };
      const out =
        grant === 'authorization_code'
          ? await exchangeCode(
              services,
              client,
              f.get('code') ?? '',
              f.get('redirect_uri'),
              f.get('code_verifier'),
            )
          : grant === 'refresh_token'
            ? await refresh(services, client, f.get('refresh_token'), f.get('scope'))
            : await clientCredentials(
                services,
                client,
                f.get('client_assertion_type') !== undefined,
                f.get('scope'),
              );
      if (out.patient) req.audit.patients = [out.patient];
      reply.header('Cache-Control', 'no-store');
      reply.header('Pragma', 'no-cache');
      return out;
    } catch (err) {
      if (err instanceof OAuthError) return sendOAuthError(reply, err);
      throw err;
    }
  });
}
