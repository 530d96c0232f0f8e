// Rotation of the keys that sign access tokens (keys:manage): list, rotate (a new key signs; older
// active keys still verify), retire (tokens signed by that key stop verifying).
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../platform/errors.js';
import { listKeys } from '../../store/accounts.js';
import type { AppContext } from '../context.js';

export function signingKeyRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/admin/signing-keys', async (req) => {
    req.audit = { action: 'R', interaction: 'key-list', entities: [], patients: [] };
    return listKeys(ctx.db);
  });

  app.post('/admin/signing-keys', async (req, reply) => {
    req.audit = { action: 'C', interaction: 'key-rotate', entities: [], patients: [] };
    const kid = await ctx.tokens.rotate();
    req.audit.entities = [`signing-key/${kid}`];
    return reply.code(201).send({ kid });
  });

  app.delete<{ Params: { kid: string } }>('/admin/signing-keys/:kid', async (req, reply) => {
    const { kid } = req.params;
    req.audit = { action: 'D', interaction: 'key-retire', entities: [`signing-key/${kid}`], patients: [] };
    if (!(await ctx.tokens.retire(kid))) throw notFound(`No active signing key "${kid}"`);
    return reply.code(204).send();
  });
}
