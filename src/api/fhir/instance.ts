// Instance-level interactions: read, vread, update, patch, delete and instance history.

import type { Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { assertResourceShape } from '../../fhir/validate/validate-resource.js';
import { badRequest } from '../../platform/errors.js';
import { deleteResource, patchResource, updateResource } from '../../store/interactions.js';
import { auditedRepo } from '../audited-writes.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { historyBundle } from './bundles.js';
import { baseUrl, FHIR_JSON, ifMatchVersion, setVersionHeaders } from './respond.js';
import { sendWrite } from './respond-write.js';
import { assertType, historyParams, patientsOf, readSubset } from './route-params.js';

type P = { Params: { type: string; id: string; vid?: string } };

export function instanceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const note = (
    req: FastifyRequest,
    action: 'C' | 'R' | 'U' | 'D' | 'E',
    interaction: string,
    type: string,
    id: string,
    content?: string | null,
  ) => {
    req.audit = {
      action,
      interaction,
      entities: [`${type}/${id}`],
      patients: content ? patientsOf(type, id, content) : type === 'Patient' ? [id] : [],
    };
  };

  app.get<P>('/fhir/R4/:type/:id', async (req, reply) => {
    const { type, id } = req.params;
    assertType(type);
    note(req, 'R', 'read', type, id);
    const v = await requestRepo(req, ctx).read(type, id);
    note(req, 'R', 'read', type, id, v.content);
    setVersionHeaders(reply, v.version, v.lastUpdated);
    return reply.type(FHIR_JSON).send(readSubset(req, v.content));
  });

  app.get<P>('/fhir/R4/:type/:id/_history/:vid', async (req, reply) => {
    const { type, id, vid } = req.params;
    assertType(type);
    if (!/^\d+$/.test(vid ?? '')) throw badRequest(`Invalid version id "${vid}"`, 'vid');
    note(req, 'R', 'vread', type, id);
    const v = await requestRepo(req, ctx).vread(type, id, Number(vid));
    note(req, 'R', 'vread', type, id, v.content);
    setVersionHeaders(reply, v.version, v.lastUpdated);
    return reply.type(FHIR_JSON).send(readSubset(req, v.content));
  });

  app.put<P>('/fhir/R4/:type/:id', async (req, reply) => {
    const { type, id } = req.params;
    assertType(type);
    assertResourceShape(req.body);
    note(req, 'U', 'update', type, id);
    const r = await updateResource(
      auditedRepo(req, ctx, 'update', 'U'),
      type,
      id,
      req.body as Resource,
      ifMatchVersion(req),
    );
    note(req, r.status === 201 ? 'C' : 'U', 'update', type, id, r.content);
    return sendWrite(req, reply, r, ctx.config.baseUrl);
  });

  app.patch<P>('/fhir/R4/:type/:id', async (req, reply) => {
    const { type, id } = req.params;
    assertType(type);
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/json-patch+json'))
      throw badRequest(
        'PATCH takes a JSON Patch body (Content-Type: application/json-patch+json)',
        'Content-Type',
      );
    note(req, 'U', 'patch', type, id);
    const r = await patchResource(
      auditedRepo(req, ctx, 'patch', 'U'),
      type,
      id,
      req.body,
      ifMatchVersion(req),
    );
    note(req, 'U', 'patch', type, id, r.content);
    return sendWrite(req, reply, r, ctx.config.baseUrl);
  });

  app.delete<P>('/fhir/R4/:type/:id', async (req, reply) => {
    const { type, id } = req.params;
    assertType(type);
    note(req, 'D', 'delete', type, id);
    await deleteResource(auditedRepo(req, ctx, 'delete', 'D'), type, id, ifMatchVersion(req));
    return reply.code(204).send();
  });

  app.get<P & { Querystring: Record<string, string> }>('/fhir/R4/:type/:id/_history', async (req, reply) => {
    const { type, id } = req.params;
    assertType(type);
    note(req, 'R', 'history-instance', type, id);
    const current = await requestRepo(req, ctx).currentVersion(type, id);
    if (!current) throw badRequest(`${type}/${id} is not known`);
    const h = historyParams(req);
    const page = await requestRepo(req, ctx).history({ type, id, ...h });
    const base = baseUrl(ctx.config.baseUrl);
    const self = `${base}/${type}/${id}/_history`;
    const next = page.next
      ? `${self}?_count=${h.count}&_cursor=${encodeURIComponent(page.next)}${h.since ? `&_since=${encodeURIComponent(h.since)}` : ''}`
      : undefined;
    return reply.type(FHIR_JSON).send(historyBundle(base, self, page.versions, next));
  });
}
