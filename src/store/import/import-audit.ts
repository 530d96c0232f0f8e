// The audit entry of each import transaction, appended inside it: loaded records and the entry that
// says who loaded them for which patients commit together or not at all (a killed import leaves no
// unaudited data). One entry per transaction (a Bundle, or a batch of NDJSON lines), naming the file
// and the patients whose records it wrote.
import { auditRow } from '../../security/audit/audit-event.js';
import { appendAudit } from '../audit-log.js';
import type { BeforeCommit } from '../repository.js';

export function importAuditHook(operator: string, file: string): BeforeCommit {
  return async (tx, written) => {
    const patients = [
      ...new Set(
        written.flatMap((w) => (w.type === 'Patient' ? [w.id] : (w.newPatients ?? w.oldPatients ?? []))),
      ),
    ];
    const status = written.some((w) => w.status === 201) ? 201 : 200;
    const row = auditRow({
      username: operator,
      action: 'C',
      interaction: 'import',
      path: file,
      status,
      entities: [],
      patients,
    });
    await appendAudit(tx, [row]);
  };
}
