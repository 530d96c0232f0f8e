// FHIR Bulk Data Access 2.0 export: kick-off ($export at system, Patient and Group level), status
// polling with progress, the completion manifest, cancellation, and the NDJSON files. The work itself
// runs in the background (store/export/run-export.ts); these routes check, start, report and serve.
import fs from 'node:fs';
import path from 'node:path';
import type { Group } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allResourceTypes, isKnownResourceType, patientCompartmentParams } from '../../fhir/definitions.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db/database.js';
import { badRequest, FhirError, forbidden, issue, notFound } from '../../platform/errors.js';
import type { AccessRecord } from '../../security/audit/audit-event.js';
import { mayDo, mayOnType } from '../../security/policy/permissions.js';
import {
  type ExportJob,
  type ExportLevel,
  type ExportSpec,
  fileOf,
  filesOf,
  getJob,
  patientsOfJob,
} from '../../store/export/export-jobs.js';
import type { AuditWriter } from '../audit-writer.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { baseUrl, FHIR_JSON, queryPairs } from './respond.js';
import { instantParam } from './route-params.js';

const OUTPUT_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];
const NDJSON = 'application/fhir+ndjson';
const UNSUPPORTED = ['_elements', 'patient', 'includeAssociatedData', '_outputOrganizedBy'];

/** Types in the Patient compartment: what a Patient or Group export holds by default. */
const compartmentTypes = () =>
  allResourceTypes().filter((t) => t === 'Patient' || patientCompartmentParams(t).length > 0);

export function bulkExportRoutes(app: FastifyInstance, ctx: AppContext): void {
  const kickOff = async (req: FastifyRequest, reply: FastifyReply, level: ExportLevel, groupId?: string) => {
    req.audit = {
      action: 'E',
      interaction: 'export-kickoff',
      entities: groupId ? [`Group/${groupId}`] : [],
      patients: [],
    };
    if (!/respond-async/.test(String(req.headers.prefer ?? '')))
      throw badRequest(
        'A bulk export runs asynchronously: send the header "Prefer: respond-async"',
        'Prefer',
      );
    const pairs = queryPairs(req);
    const repo = requestRepo(req, ctx);
    const spec = await exportSpec(req, pairs, level, repo);
    if (groupId) {
      const group = JSON.parse((await repo.read('Group', groupId)).content as string) as Group;
      spec.groupId = groupId;
      spec.patients = (group.member ?? [])
        .map((m) => /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(m.entity?.reference ?? '')?.[1])
        .filter((p): p is string => !!p);
      req.audit.patients = spec.patients;
    }
    const job = await ctx.exports.start(
      {
        username: req.principal?.username ?? '',
        level,
        request: `${ctx.config.baseUrl.replace(/\/$/, '')}${req.url}`,
        spec,
      },
      repo,
    );
    req.audit.entities.push(statusPath(job.id));
    return reply
      .code(202)
      .header('Content-Location', `${baseUrl(ctx.config.baseUrl)}/$export-status/${job.id}`)
      .type(FHIR_JSON)
      .send({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'information', code: 'informational', diagnostics: `Export ${job.id} started` }],
      });
  };

  app.get('/fhir/R4/$export', (req, reply) => kickOff(req, reply, 'system'));
  app.get('/fhir/R4/Patient/$export', (req, reply) => kickOff(req, reply, 'patient'));
  app.get<{ Params: { id: string } }>('/fhir/R4/Group/:id/$export', (req, reply) =>
    kickOff(req, reply, 'group', req.params.id),
  );

  app.get<{ Params: { id: string } }>('/fhir/R4/$export-status/:id', async (req, reply) => {
    req.audit = {
      action: 'R',
      interaction: 'export-status',
      entities: [statusPath(req.params.id)],
      patients: [],
    };
    const job = await ownJob(req, ctx, req.params.id);
    if (job.status === 'running') {
      const pct = job.total ? Math.min(99, Math.floor((job.done / job.total) * 100)) : 0;
      return reply
        .code(202)
        .header('X-Progress', `${pct}% (${job.done} of ${job.total} resources)`)
        .header('Retry-After', '1')
        .send();
    }
    if (job.status === 'failed') {
      throw new FhirError(500, issue('exception', job.message ?? 'The export failed; start it again'));
    }
    const base = baseUrl(ctx.config.baseUrl);
    const files = await filesOf(ctx.db, job.id);
    reply.header('Expires', new Date(job.expiresAt as string).toUTCString());
    return reply.type('application/json').send({
      transactionTime: job.transactionTime,
      request: job.request,
      requiresAccessToken: true,
      output: files.map((f) => ({
        type: f.type,
        url: `${base}/$export-file/${job.id}/${f.name}`,
        count: f.count,
      })),
      error: [],
    });
  });

  app.delete<{ Params: { id: string } }>('/fhir/R4/$export-status/:id', async (req, reply) => {
    req.audit = {
      action: 'D',
      interaction: 'export-cancel',
      entities: [statusPath(req.params.id)],
      patients: [],
    };
    const job = await ownJob(req, ctx, req.params.id);
    await ctx.exports.cancel(job.id);
    return reply
      .code(202)
      .type(FHIR_JSON)
      .send({
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'information',
            code: 'informational',
            diagnostics: `Export ${job.id} ${job.status === 'running' ? 'cancelled' : 'deleted'}; its files are removed`,
          },
        ],
      });
  });

  app.get<{ Params: { id: string; file: string } }>('/fhir/R4/$export-file/:id/:file', async (req, reply) => {
    const { id, file } = req.params;
    req.audit = {
      action: 'R',
      interaction: 'export-download',
      entities: [`/fhir/R4/$export-file/${id}/${file}`],
      patients: [],
    };
    const job = await ownJob(req, ctx, id);
    const f = /^[A-Za-z]+-\d+\.ndjson$/.test(file) ? await fileOf(ctx.db, job.id, file) : undefined;
    if (job.status !== 'completed' || !f) throw notFound(`Export ${id} has no file ${file}`);
    req.audit.patients = f.patients;
    // Streamed as written: the files hold SSNs opened for requesters with phi:ssn, masked otherwise
    // (decided at kick-off, store/export/run-export.ts).
    return reply
      .type(NDJSON)
      .header('Content-Disposition', `attachment; filename="${f.name}"`)
      .send(fs.createReadStream(path.join(ctx.exports.dirOf(job.id), f.name)));
  });
}

const statusPath = (id: string) => `/fhir/R4/$export-status/${id}`;

/** The job, when it exists, is live and belongs to the caller (or the caller is an administrator). */
async function ownJob(req: FastifyRequest, ctx: AppContext, id: string): Promise<ExportJob> {
  let job = /^[0-9a-f-]{36}$/.test(id) ? await getJob(ctx.db, id) : undefined;
  if (job?.expiresAt && new Date(job.expiresAt) <= new Date()) {
    await ctx.exports.sweep();
    job = await getJob(ctx.db, id);
  }
  if (!job || job.status === 'cancelled' || job.status === 'expired')
    throw notFound(`No export ${id} (unknown, cancelled or expired)`);
  const p = req.principal;
  if (job.username !== p?.username && !p?.roles.includes('administrator'))
    throw forbidden(`Export ${id} was started by another user`);
  return job;
}

/** Parses and checks the kick-off parameters; narrows the types to those the user may read. */
async function exportSpec(
  req: FastifyRequest,
  pairs: [string, string][],
  level: ExportLevel,
  repo: ReturnType<typeof requestRepo>,
): Promise<ExportSpec> {
  const roles = req.principal?.roles ?? [];
  const values = (name: string) => pairs.filter(([k]) => k === name).map(([, v]) => v);
  for (const name of UNSUPPORTED)
    if (values(name).length) throw badRequest(`${name} is not supported by this server`, name);
  const format = values('_outputFormat')[0];
  if (format !== undefined && !OUTPUT_FORMATS.includes(format))
    throw badRequest(`_outputFormat must be one of ${OUTPUT_FORMATS.join(', ')}`, '_outputFormat');
  const since = instantParam('_since', values('_since')[0]);

  const named = values('_type')
    .flatMap((v) => v.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of named)
    if (!isKnownResourceType(t)) throw badRequest(`Unknown resource type "${t}" in _type`, '_type');
  for (const t of named)
    if (!mayOnType(roles, t, 'read')) throw forbidden(`Your role may not read ${t} resources`);
  const defaults = level === 'system' ? allResourceTypes() : compartmentTypes();
  const types = (named.length ? [...new Set(named)] : defaults).filter((t) => mayOnType(roles, t, 'read'));

  const typeFilters: Record<string, [string, string][][]> = {};
  for (const raw of values('_typeFilter').flatMap((v) => v.split(/,(?=[A-Z][A-Za-z]+\?)/))) {
    const m = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(raw.trim());
    if (!m || !isKnownResourceType(m[1]))
      throw badRequest(`_typeFilter "${raw}" is not a query of the form Type?param=value`, '_typeFilter');
    const [, type, query] = m;
    if (named.length && !named.includes(type))
      throw badRequest(`_typeFilter names ${type}, which _type does not include`, '_typeFilter');
    const params = [...new URLSearchParams(query).entries()];
    // The search engine checks the values (400 for a bad one) and names what it does not understand.
    const probe = await repo.search({ type, params, count: 0 });
    if (probe.ignored.length)
      throw badRequest(
        `_typeFilter uses unsupported search parameter(s): ${probe.ignored.join(', ')}`,
        '_typeFilter',
      );
    typeFilters[type] = [...(typeFilters[type] ?? []), params];
  }
  return {
    types,
    since,
    typeFilters,
    visibleRestricted: await repo.visibleRestricted(),
    ssn: mayDo(roles, 'phi:ssn') ? 'clear' : 'masked',
  };
}

/** The audit entry of a finished export: who, what it wrote, and every patient whose records it holds. */
export function exportFinishedAudit(
  db: Database,
  audit: AuditWriter,
  config: Config,
  job: ExportJob,
  status: 'completed' | 'failed',
): Promise<void> {
  return (async () => {
    const files = status === 'completed' ? await filesOf(db, job.id) : [];
    const record: AccessRecord = {
      username: job.username,
      action: 'E',
      interaction: status === 'completed' ? 'export-complete' : 'export-failed',
      path: statusPath(job.id),
      status: status === 'completed' ? 200 : 500,
      entities: files.map((f) => `${baseUrl(config.baseUrl)}/$export-file/${job.id}/${f.name}`),
      patients: status === 'completed' ? await patientsOfJob(db, job.id) : [],
    };
    try {
      await audit.record(record);
    } catch {
      audit.recordUnjournaled(record); // no response to refuse here: the entry goes to the database only
    }
  })().catch((err) => process.emitWarning(`export audit failed: ${(err as Error).name}`));
}
