// Sign-in and sign-out. POST /auth/token exchanges a username, password and (when the account has
// one) a TOTP code for a session and a signed access token; POST /auth/logout ends the session.
// SMART apps and backend services use the OAuth endpoints instead (api/oauth/).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../platform/errors.js';
import { signIn } from '../../security/identity/sign-in.js';
import { servesTls } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { clearSessionCookie, sessionIdFromCookie } from './session-cookie.js';

export const ENROLLMENT_SCOPE = 'mfa-enrollment';

export function fields(req: FastifyRequest): Map<string, string> {
  const body = req.body;
  return new Map<string, string>(
    Array.isArray(body)
      ? (body as [string, string][])
      : Object.entries((body as Record<string, string>) ?? {}),
  );
}

export function tokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/auth/token', async (req, reply) => {
    const f = fields(req);
    const grant = f.get('grant_type') ?? 'password';
    if (grant !== 'password')
      throw badRequest(`Unsupported grant_type "${grant}"; use grant_type=password`, 'grant_type');
    const username = f.get('username');
    const password = f.get('password');
    if (!username || !password) throw badRequest('username and password are required', 'username');
    req.audit = { action: 'E', interaction: 'sign-in', entities: [`user/${username}`], patients: [] };
    const user = await signIn(ctx.db, ctx.box, ctx.config, username, password, f.get('totp'));
    const scope = user.enrollmentOnly ? ENROLLMENT_SCOPE : 'user/*.cruds';
    const sid = await ctx.sessions.create(user.username, user.mfa);
    req.principal = { username: user.username, roles: user.roles, scope, sid };
    const token = await ctx.tokens.issue(req.principal, ctx.config.sessionMaxSeconds);
    reply.header('Cache-Control', 'no-store');
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: Math.min(ctx.tokens.lifetime, ctx.config.sessionMaxSeconds),
      scope,
      ...(user.enrollmentOnly
        ? {
            mfa_enrollment_required: true,
            next: 'Your role signs in with a second factor: POST /auth/mfa/enroll, add the secret to an authenticator app, POST /auth/mfa/activate with a code, then sign in again with totp.',
          }
        : {}),
    };
  });

  app.post('/auth/logout', async (req, reply) => {
    req.audit = { action: 'E', interaction: 'sign-out', entities: [], patients: [] };
    if (req.principal?.sid) await ctx.sessions.revoke(req.principal.sid);
    if (sessionIdFromCookie(req, servesTls(ctx))) clearSessionCookie(reply, servesTls(ctx));
    return reply.code(204).send();
  });
}
