// Release of information: record a disclosure, and give a patient's accounting of disclosures.
import type { FastifyInstance } from 'fastify';
import { accountingPeriod, buildAccounting, parseDisclosure } from '../../him/release/disclosures.js';
import { badRequest, conflict } from '../../platform/errors.js';
import { disclosuresInPeriod, insertDisclosure } from '../../store/disclosures.js';
import type { AppContext } from '../context.js';

export function disclosureRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/disclosures', async (req, reply) => {
    const d = parseDisclosure(req.body);
    req.audit = { action: 'C', interaction: 'disclosure', entities: [], patients: [d.patient] };
    const id = await insertDisclosure(ctx.db, d, req.principal?.username ?? 'unknown').catch(
      (err: { code?: string }) => {
        if (err.code === '23503') throw conflict(`corrects names no recorded disclosure`);
        throw err;
      },
    );
    req.audit.entities = [`disclosure/${id}`];
    return reply.code(201).send({ id, ...d });
  });

  app.get<{ Params: { id: string }; Querystring: { asOf?: string } }>(
    '/patients/:id/accounting-of-disclosures',
    async (req) => {
      const { id } = req.params;
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest('Invalid patient id', 'id');
      const asOf = req.query.asOf ? new Date(req.query.asOf) : new Date();
      if (Number.isNaN(asOf.getTime())) throw badRequest('asOf must be a date', 'asOf');
      req.audit = {
        action: 'R',
        interaction: 'accounting-of-disclosures',
        entities: [`Patient/${id}`],
        patients: [id],
      };
      const { start, end } = accountingPeriod(asOf);
      return buildAccounting(id, asOf, await disclosuresInPeriod(ctx.db, id, start, end));
    },
  );
}
