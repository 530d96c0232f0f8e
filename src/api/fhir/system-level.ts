// System-level interactions: metadata, transaction/batch Bundles and system history.
import type { FastifyInstance } from 'fastify';
import { FhirError, issue } from '../../platform/errors.js';
import { type Interaction, mayOnType } from '../../security/policy/permissions.js';
import { processBundle } from '../../store/bundle/process-bundle.js';
import { auditedRepo } from '../audited-writes.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { assertEntryScopes } from '../scope-enforcement.js';
import { historyBundle } from './bundles.js';
import { capabilityStatement } from './metadata.js';
import { baseUrl, FHIR_JSON } from './respond.js';
import { historyParams } from './route-params.js';

export function systemRoutes(app: FastifyInstance, ctx: AppContext, version: string): void {
  let metadata: string | undefined;
  app.get('/fhir/R4/metadata', async (req, reply) => {
    req.audit = { action: 'R', interaction: 'capabilities', entities: [], patients: [] };
    metadata ??= JSON.stringify(capabilityStatement(baseUrl(ctx.config.baseUrl), version));
    return reply.type(FHIR_JSON).send(metadata);
  });

  app.post('/fhir/R4', async (req, reply) => {
    const type = (req.body as { type?: string } | undefined)?.type;
    req.audit = {
      action: 'E',
      interaction: type === 'batch' ? 'batch' : 'transaction',
      entities: [],
      patients: [],
    };
    assertBundleAllowed(req.body, req.principal?.roles ?? [], (method, url, i) =>
      assertEntryScopes(req, method, url, i),
    );
    const out = await processBundle(
      auditedRepo(req, ctx, type === 'batch' ? 'batch' : 'transaction', 'E'),
      req.body,
    );
    req.audit.entities = (out.entry ?? [])
      .map((e) => e.response?.location?.split('/_history')[0])
      .filter((x): x is string => !!x);
    return reply.type(FHIR_JSON).send(out);
  });

  app.get('/fhir/R4/_history', async (req, reply) => {
    req.audit = { action: 'R', interaction: 'history-system', entities: [], patients: [] };
    const h = historyParams(req);
    const page = await requestRepo(req, ctx).history(h);
    const base = baseUrl(ctx.config.baseUrl);
    const self = `${base}/_history`;
    const next = page.next
      ? `${self}?_count=${h.count}&_cursor=${encodeURIComponent(page.next)}${h.since ? `&_since=${encodeURIComponent(h.since)}` : ''}`
      : undefined;
    return reply.type(FHIR_JSON).send(historyBundle(base, self, page.versions, next));
  });
}

const INTERACTION_OF: Record<string, Interaction> = {
  GET: 'read',
  HEAD: 'read',
  POST: 'write',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'delete',
};

/** Refuses a Bundle with any entry the user's roles do not allow, naming the entry; nothing is written. */
function assertBundleAllowed(
  body: unknown,
  roles: string[],
  scopes: (method: string, url: string, index: number) => void,
): void {
  const entries = ((body as { entry?: { request?: { method?: string; url?: string } }[] } | undefined)
    ?.entry ?? []) as {
    request?: { method?: string; url?: string };
  }[];
  entries.forEach((e, i) => {
    const interaction = INTERACTION_OF[e.request?.method ?? ''];
    const type = (e.request?.url ?? '').replace(/^\/+/, '').split(/[/?]/)[0];
    if (interaction && type && !mayOnType(roles, type, interaction)) {
      throw new FhirError(
        403,
        issue(
          'forbidden',
          `Your role (${roles.join(', ') || 'no role'}) may not ${interaction} ${type} resources`,
          `Bundle.entry[${i}].request`,
        ),
      );
    }
    if (interaction && type) scopes(e.request?.method ?? '', e.request?.url ?? '', i);
  });
}
