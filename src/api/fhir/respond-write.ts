// Sends the result of a write as the client asked with Prefer: return=minimal|representation|OperationOutcome.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { outcomeOf } from '../../platform/errors.js';
import type { WriteOutcome } from '../../store/interactions.js';
import { baseUrl, FHIR_JSON, returnPreference, setVersionHeaders } from './respond.js';

export function sendWrite(
  req: FastifyRequest,
  reply: FastifyReply,
  r: WriteOutcome,
  base: string,
): FastifyReply {
  reply.code(r.status);
  if (r.status === 204) return reply.send();
  setVersionHeaders(reply, r.version, r.lastUpdated);
  reply.header('Location', `${baseUrl(base)}/${r.type}/${r.id}/_history/${r.version}`);
  const pref = returnPreference(req);
  if (pref === 'minimal') return reply.send();
  reply.type(FHIR_JSON);
  if (pref === 'OperationOutcome') {
    const what = r.matched
      ? 'matched an existing resource'
      : r.unchanged
        ? 'unchanged'
        : r.status === 201
          ? 'created'
          : 'updated';
    const outcome = outcomeOf(
      'information',
      'informational',
      `${r.type}/${r.id} ${what} (version ${r.version})`,
    );
    // warnings of the code check (a header code on a Condition, a display that is not the title)
    if (r.warnings?.length) outcome.issue.push(...r.warnings);
    return reply.send(outcome);
  }
  return reply.send(r.content);
}
