// Type-level interactions: create (with If-None-Exist), search (GET and POST _search), conditional
// update and delete, and type history.
import type { Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertResourceShape } from '../../fhir/validate/validate-resource.js';
import { badRequest } from '../../platform/errors.js';
import { conditionalDelete, conditionalUpdate, createResource } from '../../store/interactions.js';
import { auditedRepo } from '../audited-writes.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { historyBundle, searchsetBundle } from './bundles.js';
import { baseUrl, FHIR_JSON, queryPairs, rawQuery } from './respond.js';
import { sendWrite } from './respond-write.js';
import { assertType, countParam, historyParams } from './route-params.js';

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

  const search = async (req: FastifyRequest<P>, reply: FastifyReply, pairs: [string, string][]) => {
    const { type } = req.params;
    assertType(type);
    const summary = pairs.find(([k]) => k === '_summary')?.[1];
    const totalMode = pairs.find(([k]) => k === '_total')?.[1] ?? 'none';
    if (!['none', 'estimate', 'accurate'].includes(totalMode))
      throw badRequest('_total must be none, estimate or accurate', '_total');
    if (summary !== undefined && summary !== 'count' && summary !== 'false')
      throw badRequest('Only _summary=count is supported so far', '_summary');
    // _summary=count asks for the number of matches only; _total=accurate|estimate adds it to a page.
    const count = summary === 'count' ? 0 : countParam(pairs.find(([k]) => k === '_count')?.[1]);
    const withTotal = summary === 'count' || totalMode !== 'none';
    const after = pairs.find(([k]) => k === '_cursor')?.[1];
    if (after !== undefined && !/^\d+$/.test(after)) throw badRequest('Invalid _cursor', '_cursor');
    const strict = /handling=strict/.test(String(req.headers.prefer ?? ''));
    const page = await requestRepo(req, ctx).search({ type, params: pairs, count, after, total: withTotal });
    if (page.ignored.length && strict) {
      throw badRequest(
        `Unknown or unsupported search parameter(s): ${page.ignored.join(', ')}`,
        page.ignored,
      );
    }
    const base = baseUrl(ctx.config.baseUrl);
    const kept = pairs.filter(([k]) => k !== '_cursor');
    const qs = (extra: [string, string][]) => new URLSearchParams([...kept, ...extra]).toString();
    const self = `${base}/${type}${kept.length ? `?${qs([])}` : ''}`;
    const next = page.next ? `${base}/${type}?${qs([['_cursor', page.next]])}` : undefined;
    const outcome = page.ignored.length
      ? {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'warning',
              code: 'not-supported',
              diagnostics: `Ignored unknown or unsupported search parameter(s): ${page.ignored.join(', ')}`,
            },
          ],
        }
      : undefined;
    req.audit = {
      action: 'E',
      interaction: 'search-type',
      entities: page.entries.map((e) => `${type}/${/"id":"([^"]+)"/.exec(e.content)?.[1]}`),
      patients: page.patients,
    };
    return reply.type(FHIR_JSON).send(searchsetBundle(base, self, page.entries, next, outcome, page.total));
  };

  app.get<P>('/fhir/R4/:type', (req, reply) => search(req, reply, queryPairs(req)));

  app.post<P>('/fhir/R4/:type/_search', (req, reply) => {
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/x-www-form-urlencoded'))
      throw badRequest('POST _search takes an application/x-www-form-urlencoded body', 'Content-Type');
    const form = (req.body as [string, string][] | undefined) ?? [];
    return search(req, reply, [...queryPairs(req), ...form]);
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
