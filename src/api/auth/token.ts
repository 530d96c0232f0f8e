// POST /auth/token: exchanges a username and password for a signed access token. This is the first
// sign-in path; the security issue adds MFA, sessions and the SMART/OAuth flows.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../platform/errors.js';
import { signIn } from '../../security/identity/sign-in.js';
import type { AppContext } from '../context.js';

export function tokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/auth/token', async (req, reply) => {
    const body = req.body;
    const fields = new Map<string, string>(
      Array.isArray(body)
        ? (body as [string, string][])
        : Object.entries((body as Record<string, string>) ?? {}),
    );
    const grant = fields.get('grant_type') ?? 'password';
    if (grant !== 'password')
      throw badRequest(`Unsupported grant_type "${grant}"; use grant_type=password`, 'grant_type');
    const username = fields.get('username');
    const password = fields.get('password');
    if (!username || !password) throw badRequest('username and password are required', 'username');
    req.audit = { action: 'E', interaction: 'sign-in', entities: [], patients: [] };
    const user = await signIn(ctx.db, username, password);
    req.principal = { username: user.username, roles: user.roles, scope: 'user/*.cruds' };
    const token = await ctx.tokens.issue(req.principal);
    reply.header('Cache-Control', 'no-store');
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: ctx.tokens.lifetime,
      scope: 'user/*.cruds',
    };
  });
}
