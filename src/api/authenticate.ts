// Who is calling: a bearer access token (Chartroom sign-in, SMART app or backend service) or the web
// app's session cookie, which must bring its CSRF token on state-changing requests.
import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../platform/errors.js';
import type { Principal } from '../security/oauth/tokens.js';
import { findUser } from '../store/accounts.js';
import { findClient } from '../store/oauth.js';
import { CSRF_HEADER, changesState, csrfMatches, sessionIdFromCookie } from './auth/session-cookie.js';
import type { AppContext } from './context.js';

const CACHE_MS = 5_000;
/** Roles of cookie users and the state of backend clients, cached briefly per process. */
const rolesCache = new Map<string, { roles: string[]; at: number }>();
const clientCache = new Map<string, { live: boolean; at: number }>();

export const servesTls = (ctx: AppContext) => Boolean(ctx.config.tlsCert && ctx.config.tlsKey);

export async function authenticate(req: FastifyRequest, ctx: AppContext): Promise<Principal> {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) {
    const p = await ctx.tokens.verify(header.slice(7).trim());
    if (p.sid) await ctx.sessions.check(p.sid);
    else if (!p.clientId || !(await clientLive(ctx, p.clientId)))
      throw unauthorized('The access token names no session; sign in again');
    return p;
  }
  const sid = sessionIdFromCookie(req, servesTls(ctx));
  if (!sid)
    throw unauthorized(
      'Sign in first: send "Authorization: Bearer <token>" (POST /auth/token gives one) or use the session cookie (POST /auth/session)',
    );
  const { username } = await ctx.sessions.check(sid);
  if (changesState(req.method) && !csrfMatches(ctx.box, sid, req.headers[CSRF_HEADER] as string | undefined))
    throw forbidden(
      `A request authenticated by the session cookie that changes state must carry the session's CSRF token in the X-CSRF-Token header (GET /auth/session gives it)`,
    );
  return { username, roles: await rolesOf(ctx, username), scope: 'user/*.cruds', sid };
}

/**
 * The caller of a bearer-token request whose token and session are both in this process's caches and
 * need nothing checked with the database; undefined otherwise (then `authenticate` decides, and refuses
 * an expired, revoked or unknown token or session). Saves a chain of promises on most requests.
 */
export function authenticateCached(req: FastifyRequest, ctx: AppContext): Principal | undefined {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  const p = ctx.tokens.verifiedCached(header.slice(7).trim());
  if (!p?.sid || !ctx.sessions.checkCached(p.sid)) return undefined;
  return p;
}

async function rolesOf(ctx: AppContext, username: string): Promise<string[]> {
  const hit = rolesCache.get(username);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.roles;
  const user = await findUser(ctx.db, username);
  if (!user || user.disabled) throw unauthorized('The account is not active; sign in again');
  if (rolesCache.size > 10_000) rolesCache.clear();
  rolesCache.set(username, { roles: user.roles, at: Date.now() });
  return user.roles;
}

/** A backend client's tokens stop working when the client is disabled (within the cache time). */
async function clientLive(ctx: AppContext, clientId: string): Promise<boolean> {
  const hit = clientCache.get(clientId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.live;
  const c = await findClient(ctx.db, clientId);
  const live = Boolean(c && !c.disabled);
  if (clientCache.size > 10_000) clientCache.clear();
  clientCache.set(clientId, { live, at: Date.now() });
  return live;
}
