// `chartroom audit verify`: walks the audit trail and reports the first broken link of its hash chain.
import { verifyChain } from '../security/audit/chain.js';
import { openServices } from '../server.js';
import { auditInOrder } from '../store/audit-log.js';

export async function auditCommand(args: string[]): Promise<number> {
  if (args[0] !== 'verify') throw new Error('usage: chartroom audit verify');
  const { db } = await openServices();
  try {
    const report = await verifyChain(auditInOrder(db));
    if (report.ok) {
      process.stdout.write(
        `The audit trail is intact: ${report.checked.toLocaleString('en-US')} entries, every link verified.\n`,
      );
      return 0;
    }
    process.stdout.write(
      `The audit trail is BROKEN at entry ${report.broken?.seq}: ${report.broken?.reason}.\n` +
        `${report.checked.toLocaleString('en-US')} entries before it verified.\n`,
    );
    return 3;
  } finally {
    await db.close();
  }
}
