// Every request passes here: authenticate -> (authorize) -> handle -> audit. Only sign-in, metadata,
// .well-known and the health check are open; everything else needs a valid bearer token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError, unauthorized } from '../platform/errors.js';
import type { Principal } from '../security/oauth/tokens.js';
import type { AppContext } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    audit?: {
      action: 'C' | 'R' | 'U' | 'D' | 'E';
      interaction: string;
      entities: string[];
      patients: string[];
    };
  }
}

const OPEN_ROUTES = new Set([
  '/fhir/R4/metadata',
  '/auth/token',
  '/healthz',
  '/.well-known/smart-configuration',
  '/fhir/R4/.well-known/smart-configuration',
  '/',
]);

export function isOpen(url: string): boolean {
  const path = url.split('?')[0];
  return OPEN_ROUTES.has(path);
}

export function installPipeline(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (isOpen(req.url)) return;
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer '))
      throw unauthorized('Sign in first: send "Authorization: Bearer <token>" (POST /auth/token gives one)');
    req.principal = await ctx.tokens.verify(header.slice(7).trim());
    if (!req.principal.sid) throw unauthorized('The access token names no session; sign in again');
    await ctx.sessions.check(req.principal.sid);
    authorize(req);
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url === '/healthz') return;
    const a = req.audit;
    ctx.audit.record({
      username: req.principal?.username,
      action: a?.action ?? 'E',
      interaction: a?.interaction ?? `${req.method} ${req.routeOptions.url ?? 'unknown'}`,
      path: req.url.split('?')[0],
      status: reply.statusCode,
      clientIp: req.ip,
      entities: a?.entities ?? [],
      patients: a?.patients ?? [],
    });
  });
}

/**
 * Authorization for now: every signed-in user's token carries roles and a scope, and only the
 * administrator role exists. The security issue replaces this with the role/label policy.
 */
const ENROLLMENT_ROUTES = new Set(['/auth/mfa/enroll', '/auth/mfa/activate', '/auth/logout']);
const SELF_SERVICE = new Set([...ENROLLMENT_ROUTES, '/admin/users', '/audit']);

function authorize(req: FastifyRequest): void {
  const p = req.principal;
  if (!p) throw unauthorized('Not signed in');
  const path = req.url.split('?')[0];
  if (p.scope === 'mfa-enrollment' && !ENROLLMENT_ROUTES.has(path)) {
    throw new FhirError(403, {
      severity: 'error',
      code: 'forbidden',
      diagnostics:
        'Set up the second factor first: POST /auth/mfa/enroll, then /auth/mfa/activate, then sign in with totp',
    });
  }
  if (SELF_SERVICE.has(path)) return; // each of these checks what it needs itself
  if (!p.roles.includes('administrator'))
    throw new FhirError(403, {
      severity: 'error',
      code: 'forbidden',
      diagnostics: 'Your role does not allow this',
    });
}
