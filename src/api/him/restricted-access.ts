// Access to restricted patients: care relationships (who looks after whom), break-the-glass (a stated
// reason gives one user time-limited access to one patient), and the privacy officer's review queue.
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../platform/errors.js';
import { addCareRelationship, insertGrant, listGrants, reviewGrant } from '../../store/restrictions.js';
import type { AppContext } from '../context.js';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function field(body: unknown, name: string, min = 1, max = 2000): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof v !== 'string' || v.trim().length < min)
    throw badRequest(min > 1 ? `${name} needs at least ${min} characters` : `${name} is required`, name);
  if (v.length > max) throw badRequest(`${name} is longer than ${max} characters`, name);
  return v.trim();
}

export function restrictedAccessRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/care-relationships', async (req, reply) => {
    const username = field(req.body, 'username', 1, 64);
    const patient = field(req.body, 'patient', 1, 64);
    if (!ID.test(patient)) throw badRequest('patient must be a Patient id', 'patient');
    req.audit = {
      action: 'C',
      interaction: 'care-relationship',
      entities: [`user/${username}`],
      patients: [patient],
    };
    await addCareRelationship(ctx.db, username, patient, req.principal?.username ?? '');
    return reply.code(201).send({ username, patient });
  });

  app.post('/break-the-glass', async (req, reply) => {
    const patient = field(req.body, 'patient', 1, 64);
    if (!ID.test(patient)) throw badRequest('patient must be a Patient id', 'patient');
    const reason = field(req.body, 'reason', 15);
    req.audit = {
      action: 'E',
      interaction: 'break-the-glass',
      entities: [`Patient/${patient}`],
      patients: [patient],
    };
    const grant = await insertGrant(
      ctx.db,
      req.principal?.username ?? '',
      patient,
      reason,
      ctx.config.breakGlassSeconds,
    );
    return reply.code(201).send({
      id: grant.id,
      patient,
      expires: new Date(grant.expires_at).toISOString(),
      notice:
        'Access is granted for a limited time, recorded in the audit trail and reviewed by the privacy officer.',
    });
  });

  app.get<{ Querystring: { status?: string } }>('/privacy/break-the-glass', async (req) => {
    const status = req.query.status ?? 'open';
    if (status !== 'open' && status !== 'all') throw badRequest('status must be open or all', 'status');
    req.audit = { action: 'R', interaction: 'break-the-glass-queue', entities: [], patients: [] };
    const rows = await listGrants(ctx.db, status === 'open');
    req.audit.patients = [...new Set(rows.map((r) => r.patient))];
    return rows.map((r) => ({
      ...r,
      granted_at: new Date(r.granted_at).toISOString(),
      expires_at: new Date(r.expires_at).toISOString(),
    }));
  });

  app.post<{ Params: { id: string } }>('/privacy/break-the-glass/:id/review', async (req, reply) => {
    if (!/^\d+$/.test(req.params.id)) throw badRequest('Invalid grant id', 'id');
    const note = field(req.body, 'note');
    req.audit = {
      action: 'U',
      interaction: 'break-the-glass-review',
      entities: [`grant/${req.params.id}`],
      patients: [],
    };
    if (!(await reviewGrant(ctx.db, req.params.id, req.principal?.username ?? '', note)))
      throw notFound(`No open break-the-glass grant ${req.params.id}`);
    return reply.code(204).send();
  });
}
