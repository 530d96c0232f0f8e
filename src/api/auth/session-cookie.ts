// The web app's session cookie: HttpOnly, SameSite=Strict, Path=/, and Secure with the __Host- prefix
// when Chartroom serves HTTPS. It carries the session id itself; the database holds only its hash.
// State-changing requests authenticated by the cookie must carry the session's CSRF token
// (synchronizer token: a keyed MAC of the session id) in X-CSRF-Token.
import { timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '../../platform/crypto/secret-box.js';

export const CSRF_HEADER = 'x-csrf-token';

export const cookieName = (tls: boolean) => (tls ? '__Host-chartroom_session' : 'chartroom_session');

export function sessionIdFromCookie(req: FastifyRequest, tls: boolean): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parse(header)[cookieName(tls)] || undefined;
}

const attributes = (tls: boolean, maxAge: number) =>
  ({ httpOnly: true, sameSite: 'strict', secure: tls, path: '/', maxAge }) as const;

export function setSessionCookie(
  reply: FastifyReply,
  sid: string,
  tls: boolean,
  maxAgeSeconds: number,
): void {
  reply.header('Set-Cookie', serialize(cookieName(tls), sid, attributes(tls, maxAgeSeconds)));
}

export function clearSessionCookie(reply: FastifyReply, tls: boolean): void {
  reply.header('Set-Cookie', serialize(cookieName(tls), '', attributes(tls, 0)));
}

export const csrfToken = (box: SecretBox, sid: string) => box.mac('csrf', sid);

export function csrfMatches(box: SecretBox, sid: string, sent: string | undefined): boolean {
  if (!sent) return false;
  const expected = Buffer.from(csrfToken(box, sid));
  const got = Buffer.from(sent);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/** Methods that change state (everything but GET, HEAD and OPTIONS) need the CSRF token. */
export const changesState = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);
