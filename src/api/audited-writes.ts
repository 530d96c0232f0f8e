// Writes through the API carry their audit entry inside the data transaction: the entry commits with
// the change or not at all. (Failed requests are audited afterwards by the pipeline, as failures.)
import type { FastifyRequest } from 'fastify';
import { type AccessRecord, auditRow } from '../security/audit/audit-event.js';
import { appendAudit } from '../store/audit-log.js';
import type { Repository } from '../store/repository.js';
import type { AppContext } from './context.js';
import { patientsOf } from './fhir/route-params.js';
import { requestRepo } from './request-repo.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request's audit entry was committed with its data change. */
    auditedInTransaction?: boolean;
  }
}

/** A repository whose write transactions append the request's audit entry before they commit. */
export function auditedRepo(
  req: FastifyRequest,
  ctx: AppContext,
  interaction: string,
  action: AccessRecord['action'],
): Repository {
  return requestRepo(req, ctx).withBeforeCommit(async (tx, written) => {
    const entities = written.map((w) => `${w.type}/${w.id}`);
    const patients = [
      ...new Set(
        written.flatMap((w) =>
          w.content ? patientsOf(w.type, w.id, w.content) : w.type === 'Patient' ? [w.id] : [],
        ),
      ),
    ];
    const status = written.some((w) => w.status === 201)
      ? 201
      : written.every((w) => w.status === 204)
        ? 204
        : 200;
    const record: AccessRecord = {
      username: req.principal?.username,
      action,
      interaction,
      path: req.url.split('?')[0],
      status,
      clientIp: req.ip,
      entities,
      patients,
    };
    await appendAudit(tx, [auditRow(record)]);
    req.auditedInTransaction = true;
  });
}
