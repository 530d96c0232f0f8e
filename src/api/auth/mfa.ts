// Setting up the TOTP second factor: enroll (a new secret, shown once), then activate with a code.
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, FhirError, issue } from '../../platform/errors.js';
import { newTotpSecret, totpUri, verifyTotp } from '../../security/identity/totp.js';
import { findUser, setTotp } from '../../store/accounts.js';
import type { AppContext } from '../context.js';
import { fields } from './token.js';

export function mfaRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/auth/mfa/enroll', async (req, reply) => {
    const username = req.principal?.username as string;
    req.audit = { action: 'U', interaction: 'mfa-enroll', entities: [`user/${username}`], patients: [] };
    const user = await findUser(ctx.db, username);
    if (user?.totp_enabled) throw conflict('A second factor is already active for this account');
    const secret = newTotpSecret();
    await setTotp(ctx.db, username, ctx.box.seal(secret), false);
    reply.header('Cache-Control', 'no-store');
    return {
      secret,
      otpauth_uri: totpUri(secret, username),
      next: 'Add it to an authenticator app, then POST /auth/mfa/activate with code=<6 digits>',
    };
  });

  app.post('/auth/mfa/activate', async (req, reply) => {
    const username = req.principal?.username as string;
    req.audit = { action: 'U', interaction: 'mfa-activate', entities: [`user/${username}`], patients: [] };
    const code = fields(req).get('code');
    if (!code) throw badRequest('code is required', 'code');
    const user = await findUser(ctx.db, username);
    if (!user?.totp_secret) throw badRequest('Enroll first: POST /auth/mfa/enroll');
    if (user.totp_enabled) throw conflict('A second factor is already active for this account');
    if (!verifyTotp(ctx.box.open(user.totp_secret), username, code))
      throw new FhirError(400, issue('invalid', 'The code does not match; check the device clock', 'code'));
    await setTotp(ctx.db, username, user.totp_secret, true);
    // The enrollment-only session has done its job.
    if (req.principal) await ctx.sessions.revoke(req.principal.sid);
    return reply.code(204).send();
  });
}
