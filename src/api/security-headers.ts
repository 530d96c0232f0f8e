// Security headers on every response (OWASP ASVS V14): no sniffing, no framing, no referrer leaks, a
// strict content security policy for anything a browser renders, no caching of responses that hold
// patient data, and HSTS when Chartroom itself serves HTTPS.
import type { FastifyInstance } from 'fastify';

export function installSecurityHeaders(app: FastifyInstance, https: boolean): void {
  // A callback hook, not an async one: no promise per response.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'no-referrer');
    // A page may bring its own, stricter-or-equal policy (the OAuth pages allow their style by hash).
    if (!reply.hasHeader('Content-Security-Policy'))
      reply.header(
        'Content-Security-Policy',
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    if (https) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    done(null, payload);
  });
}
