// Minimum necessary (HIPAA 164.502(b)) and SSNs at rest: Social Security numbers are stored sealed
// (store/ssn-sealing.ts) and every response opens them, whole for roles with 'phi:ssn' and as their last
// four digits for the others (reads, searches, history, bundles, $everything). A write that sends a
// masked value back is refused, so that masking can never overwrite the stored number.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forEachSsn, MASK } from '../fhir/ssn.js';
import { FhirError, issue } from '../platform/errors.js';
import { mayDo } from '../security/policy/permissions.js';
import type { SsnSealer } from '../store/ssn-sealing.js';

const seesSsn = (req: FastifyRequest) => !req.principal || mayDo(req.principal.roles, 'phi:ssn');

export function installMinimumNecessary(app: FastifyInstance, ssn: SsnSealer): void {
  app.addHook('preHandler', async (req) => {
    if (seesSsn(req) || !req.body || typeof req.body !== 'object') return;
    let masked = false;
    forEachSsn(req.body, (o) => {
      if (o.value.startsWith(MASK)) masked = true;
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

  // Responses without an SSN pass as they are (a substring test, no parse). A callback hook: no promise
  // per response.
  app.addHook('onSend', (req, _reply, payload, done) => {
    if (typeof payload !== 'string') return done(null, payload);
    let revealed: string;
    try {
      revealed = ssn.reveal(payload, seesSsn(req) ? 'clear' : 'masked');
    } catch (err) {
      return done(err as Error);
    }
    done(null, revealed);
  });
}
