// Loader for the CDC ICD-10-CM conversion table (.xlsx): each new code with the year it took effect and the code(s) it replaced.
import { canonicalCode } from '../systems.js';
import { readDataBytes } from './read-data-file.js';
import { readFirstSheet } from './xlsx-sheet.js';

export interface ConversionRow {
  current: string;
  /** Date the current code took effect: the table gives a year (meaning October 1 of it) or an Excel date. */
  effectiveDate: string;
  previous: string[]; // codes it replaced (empty when the table says "None")
  previousText: string;
}

const CODE_RE = /\b[A-Z](?:\d[0-9A-Z]|[A-Z]\d)(?:\.[0-9A-Z]{1,4})?\b/g;

function effectiveDateOf(cell: string): string {
  const n = Number(cell.trim());
  if (Number.isInteger(n) && n >= 1900 && n <= 2200) return `${n}-10-01`;
  if (Number.isFinite(n) && n > 10_000)
    return new Date(Date.UTC(1899, 11, 30) + n * 86_400_000).toISOString().slice(0, 10);
  return '';
}

export function parseConversionRows(rows: string[][]): ConversionRow[] {
  const header = rows.findIndex((r) => /current code/i.test(r[0] ?? ''));
  if (header < 0) throw new Error('conversion table: header "Current code assignment" not found');
  const out: ConversionRow[] = [];
  for (const r of rows.slice(header + 1)) {
    const current = (r[0] ?? '').trim();
    if (!/^[A-Z](?:\d[0-9A-Z]|[A-Z]\d)/.test(current)) continue;
    const previousText = (r[2] ?? '').trim();
    const previous = /^none$/i.test(previousText)
      ? []
      : [...new Set((previousText.match(CODE_RE) ?? []).map((c) => canonicalCode('icd10cm', c)))];
    out.push({
      current: canonicalCode('icd10cm', current),
      effectiveDate: effectiveDateOf(r[1] ?? ''),
      previous,
      previousText,
    });
  }
  return out;
}

export async function loadConversionTable(path: string): Promise<ConversionRow[]> {
  return parseConversionRows(readFirstSheet(await readDataBytes(path)));
}
