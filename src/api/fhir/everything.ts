// Patient/$everything (GET and POST): the patient's whole record as a searchset Bundle, paged with
// `next` links (keyset on the store's rid), narrowed by _type and _since, and only the resource types
// the caller's role may read. A restricted patient answers 403 as a read would.
import type { Parameters } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allResourceTypes } from '../../fhir/definitions.js';
import { badRequest } from '../../platform/errors.js';
import { mayOnType } from '../../security/policy/permissions.js';
import { everythingPage } from '../../store/everything.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { searchsetBundle } from './bundles.js';
import { baseUrl, FHIR_JSON, queryPairs } from './respond.js';
import { countParam, instantParam, typeParam } from './route-params.js';

type P = { Params: { id: string } };
const DEFAULT_EVERYTHING_COUNT = 100;
const SUPPORTED = new Set(['_since', '_type', '_count', '_cursor', '_format', '_pretty']);

export function everythingRoutes(app: FastifyInstance, ctx: AppContext): void {
  const everything = async (req: FastifyRequest<P>, reply: FastifyReply, pairs: [string, string][]) => {
    const { id } = req.params;
    req.audit = { action: 'E', interaction: 'everything', entities: [`Patient/${id}`], patients: [id] };
    const unknown = pairs.map(([k]) => k).filter((k) => !SUPPORTED.has(k));
    if (unknown.length) throw badRequest(`$everything does not support ${unknown.join(', ')}`, unknown);
    const one = (name: string) => pairs.find(([k]) => k === name)?.[1];
    const roles = req.principal?.roles ?? [];
    const named = typeParam(pairs);
    const wanted = named.length ? named : allResourceTypes();
    const readable = wanted.filter((t) => mayOnType(roles, t, 'read'));
    const types = !named.length && readable.length === wanted.length ? undefined : readable;
    const rawCount = one('_count');
    const count = rawCount === undefined ? DEFAULT_EVERYTHING_COUNT : countParam(rawCount);
    const since = instantParam('_since', one('_since'));
    const after = one('_cursor');
    if (after !== undefined && !/^\d+$/.test(after)) throw badRequest('Invalid _cursor', '_cursor');

    const repo = requestRepo(req, ctx);
    await repo.read('Patient', id); // 404, 410, or 403 for a restricted patient, as a read answers
    const page = await everythingPage(ctx.db, {
      patient: id,
      types,
      since,
      count,
      after,
      visibleRestricted: await repo.visibleRestricted(),
    });
    const base = baseUrl(ctx.config.baseUrl);
    const kept = pairs.filter(([k]) => k !== '_cursor' && k !== '_count');
    const link = (extra: [string, string][]) =>
      `${base}/Patient/${id}/$everything?${new URLSearchParams([...kept, ['_count', String(count)], ...extra])}`;
    req.audit.entities.push(
      ...page.entries.map(
        (e) =>
          `${/"resourceType":"([A-Za-z]+)"/.exec(e.content)?.[1]}/${/"id":"([^"]+)"/.exec(e.content)?.[1]}`,
      ),
    );
    return reply.type(FHIR_JSON).send(
      searchsetBundle(base, {
        self: link(after ? [['_cursor', after]] : []),
        entries: page.entries.map((e) => ({ content: e.content, mode: 'match' as const })),
        next: page.next ? link([['_cursor', page.next]]) : undefined,
      }),
    );
  };

  app.get<P>('/fhir/R4/Patient/:id/$everything', (req, reply) => everything(req, reply, queryPairs(req)));

  app.post<P>('/fhir/R4/Patient/:id/$everything', (req, reply) => {
    const body = req.body as Parameters | [string, string][] | undefined;
    let pairs: [string, string][] = [];
    if (Array.isArray(body))
      pairs = body; // form-encoded
    else if (body?.resourceType === 'Parameters') {
      pairs = (body.parameter ?? []).map((p) => [
        p.name ?? '',
        String(
          p.valueInstant ??
            p.valueDateTime ??
            p.valueDate ??
            p.valueCode ??
            p.valueString ??
            p.valueInteger ??
            p.valueUnsignedInt ??
            p.valuePositiveInt ??
            '',
        ),
      ]);
    } else if (body !== undefined)
      throw badRequest('POST $everything takes a Parameters resource or a form', 'resourceType');
    return everything(req, reply, [...queryPairs(req), ...pairs]);
  });
}
