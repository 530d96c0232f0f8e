// Type-level interactions: create (with If-None-Exist), conditional update and delete, and type
// history. Search is in search.ts.
import type { Resource } from '@medplum/fhirtypes';
import type { FastifyInstance } from 'fastify';
import { assertResourceShape } from '../../fhir/validate/validate-resource.js';
import { badRequest } from '../../platform/errors.js';
import { conditionalDelete, conditionalUpdate, createResource } from '../../store/interactions.js';
import { auditedRepo } from '../audited-writes.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { historyBundle } from './bundles.js';
import { baseUrl, FHIR_JSON, rawQuery } from './respond.js';
import { sendWrite } from './respond-write.js';
import { assertType, historyParams } from './route-params.js';

type P = { Params: { type: string } };

export function typeRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<P>('/fhir/R4/:type', async (req, reply) => {
    const { type } = req.params;
    assertType(type);
    assertResourceShape(req.body);
    const resource = req.body as Resource;
    if (resource.resourceType !== type)
      throw badRequest(`The body is a ${resource.resourceType} but the URL names ${type}`, 'resourceType');
    const ifNoneExist = req.headers['if-none-exist'] as string | undefined;
    req.audit = { action: 'C', interaction: 'create', entities: [], patients: [] };
    const r = await createResource(auditedRepo(req, ctx, 'create', 'C'), resource, ifNoneExist);
    req.audit.entities = [`${type}/${r.id}`];
    if (type === 'Patient') req.audit.patients = [r.id];
    return sendWrite(req, reply, r, ctx.config.baseUrl);
  });

  app.put<P>('/fhir/R4/:type', async (req, reply) => {
    const { type } = req.params;
    assertType(type);
    const query = rawQuery(req);
    if (!query) throw badRequest('A conditional update needs search parameters: PUT Type?param=value', 'url');
    assertResourceShape(req.body);
    req.audit = { action: 'U', interaction: 'update-conditional', entities: [], patients: [] };
    const r = await conditionalUpdate(
      auditedRepo(req, ctx, 'update-conditional', 'U'),
      type,
      query,
      req.body as Resource,
    );
    req.audit.entities = [`${type}/${r.id}`];
    return sendWrite(req, reply, r, ctx.config.baseUrl);
  });

  app.delete<P>('/fhir/R4/:type', async (req, reply) => {
    const { type } = req.params;
    assertType(type);
    const query = rawQuery(req);
    if (!query)
      throw badRequest('A conditional delete needs search parameters: DELETE Type?param=value', 'url');
    req.audit = { action: 'D', interaction: 'delete-conditional', entities: [], patients: [] };
    const r = await conditionalDelete(auditedRepo(req, ctx, 'delete-conditional', 'D'), type, query);
    if (r.id) req.audit.entities = [`${type}/${r.id}`];
    return reply.code(204).send();
  });

  app.get<P>('/fhir/R4/:type/_history', async (req, reply) => {
    const { type } = req.params;
    assertType(type);
    req.audit = { action: 'R', interaction: 'history-type', entities: [], patients: [] };
    const h = historyParams(req);
    const page = await requestRepo(req, ctx).history({ type, ...h });
    const base = baseUrl(ctx.config.baseUrl);
    const self = `${base}/${type}/_history`;
    const next = page.next
      ? `${self}?_count=${h.count}&_cursor=${encodeURIComponent(page.next)}${h.since ? `&_since=${encodeURIComponent(h.since)}` : ''}`
      : undefined;
    return reply.type(FHIR_JSON).send(historyBundle(base, self, page.versions, next));
  });
}
