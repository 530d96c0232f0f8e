// Cookie sessions for the web app: POST /auth/session signs in (password, TOTP) and sets the session
// cookie, answering with the CSRF token; GET /auth/session says who is signed in (and repeats the
// token, for a reloaded page); DELETE /auth/session signs out: the session is revoked and the cookie cleared.
import type { FastifyInstance } from 'fastify';
import { badRequest, forbidden } from '../../platform/errors.js';
import { signIn } from '../../security/identity/sign-in.js';
import { servesTls } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { clearSessionCookie, csrfToken, sessionIdFromCookie, setSessionCookie } from './session-cookie.js';
import { fields } from './token.js';

export function sessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const tls = servesTls(ctx);

  app.post('/auth/session', async (req, reply) => {
    // Login CSRF: another site must not sign the browser in to an account of its choosing.
    if (req.headers['sec-fetch-site'] === 'cross-site')
      throw forbidden('Sign in from Chartroom itself: cross-site sign-in requests are refused');
    const f = fields(req);
    const username = f.get('username');
    const password = f.get('password');
    if (!username || !password) throw badRequest('username and password are required', 'username');
    req.audit = { action: 'E', interaction: 'sign-in', entities: [`user/${username}`], patients: [] };
    const user = await signIn(ctx.db, ctx.box, ctx.config, username, password, f.get('totp'));
    if (user.enrollmentOnly)
      throw forbidden(
        'Your role signs in with a second factor, which is not set up yet: sign in with POST /auth/token and follow its instructions first',
      );
    const sid = await ctx.sessions.create(user.username, user.mfa);
    setSessionCookie(reply, sid, tls, ctx.config.sessionMaxSeconds);
    reply.header('Cache-Control', 'no-store');
    return {
      username: user.username,
      roles: user.roles,
      csrf_token: csrfToken(ctx.box, sid),
      idle_timeout: ctx.config.sessionIdleSeconds,
      expires_in: ctx.config.sessionMaxSeconds,
    };
  });

  app.get('/auth/session', async (req, reply) => {
    req.audit = { action: 'R', interaction: 'session-read', entities: [], patients: [] };
    const p = req.principal;
    const sid = sessionIdFromCookie(req, tls);
    reply.header('Cache-Control', 'no-store');
    return {
      username: p?.username,
      roles: p?.roles ?? [],
      ...(sid && sid === p?.sid ? { csrf_token: csrfToken(ctx.box, sid) } : {}),
      idle_timeout: ctx.config.sessionIdleSeconds,
    };
  });

  app.delete('/auth/session', async (req, reply) => {
    req.audit = { action: 'E', interaction: 'sign-out', entities: [], patients: [] };
    if (req.principal?.sid) await ctx.sessions.revoke(req.principal.sid);
    clearSessionCookie(reply, tls);
    return reply.code(204).send();
  });
}
