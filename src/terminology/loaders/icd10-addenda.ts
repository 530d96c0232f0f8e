// Loader for the CMS order-addenda files: the official list of codes added, deleted and retitled in a fiscal year.
import { canonicalCode } from '../systems.js';
import { readDataText, splitLines } from './read-data-file.js';

export type AddendaAction = 'add' | 'delete' | 'revise-from' | 'revise-to';

export interface AddendaRecord {
  action: AddendaAction;
  code: string;
  billable?: boolean; // ICD-10-CM order addenda carry the flag; PCS addenda do not
  shortDisplay: string;
  display: string;
}

const ACTIONS: Record<string, AddendaAction> = {
  'Add:': 'add',
  'Delete:': 'delete',
  'Revise from:': 'revise-from',
  'Revise to:': 'revise-to',
};

/** cols 1-13 action; [flag + blank]; code (7, padded); blank; short title (60); blank; long title. Summary lines are skipped. */
export function parseOrderAddenda(text: string, system: 'icd10cm' | 'icd10pcs'): AddendaRecord[] {
  const out: AddendaRecord[] = [];
  for (const line of splitLines(text)) {
    const action = ACTIONS[line.slice(0, 13).trim()];
    if (!action) continue;
    let rest = line.slice(13);
    let billable: boolean | undefined;
    if (/^[01] /.test(rest)) {
      billable = rest[0] === '1';
      rest = rest.slice(2);
    }
    const rec: AddendaRecord = {
      action,
      code: canonicalCode(system, rest.slice(0, 7)),
      shortDisplay: rest.slice(8, 68).trim(),
      display: rest.slice(69).trim(),
    };
    if (billable !== undefined) rec.billable = billable;
    out.push(rec);
  }
  return out;
}

export async function loadOrderAddenda(
  path: string,
  system: 'icd10cm' | 'icd10pcs',
): Promise<AddendaRecord[]> {
  return parseOrderAddenda(await readDataText(path), system);
}
