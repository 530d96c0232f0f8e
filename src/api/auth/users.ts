// Administration of user accounts (the users:manage permission): list and create, with the password policy.
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict } from '../../platform/errors.js';
import { assertPasswordAcceptable } from '../../security/identity/password-policy.js';
import { hashPassword } from '../../security/identity/passwords.js';
import { ROLES } from '../../security/policy/permissions.js';
import { insertUser, listUsers } from '../../store/accounts.js';
import type { AppContext } from '../context.js';

export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/admin/users', async (req) => {
    req.audit = { action: 'R', interaction: 'user-list', entities: [], patients: [] };
    return (await listUsers(ctx.db)).map((u) => ({
      username: u.username,
      roles: u.roles,
      disabled: u.disabled,
      mfa: u.totp_enabled,
      locked: Boolean(u.locked_until && new Date(u.locked_until) > new Date()),
    }));
  });

  app.post('/admin/users', async (req, reply) => {
    req.audit = { action: 'C', interaction: 'user-create', entities: [], patients: [] };
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown; roles?: unknown };
    if (typeof body.username !== 'string' || !/^[a-z0-9._-]{2,64}$/.test(body.username)) {
      throw badRequest('username must be 2-64 characters of a-z, 0-9, ".", "_" and "-"', 'username');
    }
    if (typeof body.password !== 'string') throw badRequest('password is required', 'password');
    const roles = body.roles;
    if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => !ROLES.includes(r as string))) {
      throw badRequest(`roles must be a non-empty list of: ${ROLES.join(', ')}`, 'roles');
    }
    assertPasswordAcceptable(body.password, body.username, ctx.config.passwordMinLength);
    if (!(await insertUser(ctx.db, body.username, await hashPassword(body.password), roles as string[])))
      throw conflict(`The username "${body.username}" is taken`);
    req.audit.entities = [`user/${body.username}`];
    return reply.code(201).send({ username: body.username, roles });
  });
}
