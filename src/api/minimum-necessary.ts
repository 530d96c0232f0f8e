// Minimum necessary (HIPAA 164.502(b)): roles that do not need Social Security numbers see only their
// last four digits, in every response (reads, searches, history, bundles). A write that sends a masked
// value back is refused, so that masking can never overwrite the stored number.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseJson, stringifyJson } from '../fhir/json.js';
import { FhirError, issue } from '../platform/errors.js';
import { mayDo } from '../security/policy/permissions.js';

const SSN_SYSTEM = 'http://hl7.org/fhir/sid/us-ssn';
const MASK = '***-**-';

type Json = Record<string, unknown>;

function walk(node: unknown, visit: (o: Json) => void): void {
  if (Array.isArray(node)) for (const x of node) walk(x, visit);
  else if (typeof node === 'object' && node !== null) {
    visit(node as Json);
    for (const v of Object.values(node)) if (typeof v === 'object' && v !== null) walk(v, visit);
  }
}

const seesSsn = (req: FastifyRequest) => !req.principal || mayDo(req.principal.roles, 'phi:ssn');

export function installMinimumNecessary(app: FastifyInstance): void {
  app.addHook('preHandler', async (req) => {
    if (seesSsn(req) || !req.body || typeof req.body !== 'object') return;
    let masked = false;
    walk(req.body, (o) => {
      if (o.system === SSN_SYSTEM && typeof o.value === 'string' && o.value.startsWith(MASK)) masked = true;
    });
    if (masked) {
      throw new FhirError(
        400,
        issue(
          'business-rule',
          'The Social Security number is masked for your role and cannot be written back; leave that identifier out',
          'identifier',
        ),
      );
    }
  });

  app.addHook('onSend', async (req, _reply, payload) => {
    if (seesSsn(req) || typeof payload !== 'string' || !payload.includes(SSN_SYSTEM)) return payload;
    const doc = parseJson(payload);
    walk(doc, (o) => {
      if (o.system === SSN_SYSTEM && typeof o.value === 'string')
        o.value = `${MASK}${o.value.replace(/\D/g, '').slice(-4)}`;
    });
    return stringifyJson(doc);
  });
}
