// GET /audit: the audit report by user, patient, action and date range, newest first, as a FHIR
// searchset Bundle of AuditEvents (or NDJSON with _format=ndjson for export). Read-only: nothing in the
// API can change an entry. Needs the audit:read permission (administrators, privacy officers).
import type { FastifyInstance } from 'fastify';
import { dateRange } from '../fhir/index/values.js';
import { badRequest } from '../platform/errors.js';
import { queryAudit } from '../store/audit-log.js';
import type { AppContext } from './context.js';
import { FHIR_JSON } from './fhir/respond.js';
import { countParam } from './fhir/route-params.js';

export function auditReportRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/audit', async (req, reply) => {
    req.audit = { action: 'R', interaction: 'audit-report', entities: [], patients: [] };
    const q = req.query as Record<string, string | undefined>;
    const instant = (name: string, end: boolean) => {
      const v = q[name];
      if (v === undefined) return undefined;
      const r = dateRange(v);
      if (!r) throw badRequest(`${name} must be a date or instant, got "${v}"`, name);
      return end ? r.hi : r.lo;
    };
    if (q.before !== undefined && !/^\d+$/.test(q.before))
      throw badRequest('before must be an entry number', 'before');
    const ndjson = q._format === 'ndjson';
    const count = ndjson ? Math.min(Number(q._count ?? 100000) || 100000, 100000) : countParam(q._count);
    const rows = await queryAudit(ctx.db, {
      username: q.user,
      patient: q.patient,
      action: q.action,
      from: instant('from', false),
      to: instant('to', true),
      count,
      before: q.before,
    });
    const more = rows.length > count;
    if (more) rows.length = count;
    if (q.patient) req.audit.patients = [q.patient];
    if (ndjson)
      return reply
        .type('application/fhir+ndjson')
        .send(rows.map((r) => r.content).join('\n') + (rows.length ? '\n' : ''));
    const self = `${ctx.config.baseUrl}${req.url}`;
    const next = more
      ? `${ctx.config.baseUrl}/audit?${new URLSearchParams({ ...(q as Record<string, string>), before: rows[rows.length - 1].seq }).toString()}`
      : undefined;
    const links = [
      `{"relation":"self","url":${JSON.stringify(self)}}`,
      ...(next ? [`{"relation":"next","url":${JSON.stringify(next)}}`] : []),
    ];
    return reply
      .type(FHIR_JSON)
      .send(
        `{"resourceType":"Bundle","type":"searchset","link":[${links.join(',')}],"entry":[${rows.map((r) => `{"resource":${r.content},"search":{"mode":"match"}}`).join(',')}]}`,
      );
  });
}
