// Loader for a licensed user's AMA CPT data file. Chartroom ships no CPT text; this reads the file the user points at.
import { type CodeEntry, CodeSystemVersion } from '../code-system.js';
import type { EffectivePeriod } from '../fiscal-year.js';
import { readDataText, splitLines } from './read-data-file.js';

/**
 * Reads the AMA "data file" layouts: LONGULT/MEDU/SHORTU text (code, one space, descriptor) or
 * tab-separated (code, descriptor[, ...]) such as the consumer/clinician descriptor files; a
 * header line is skipped. CPT codes are 4 digits + a digit or a letter (F, T, U, A, M).
 */
export function parseCptFile(text: string): CodeEntry[] {
  const out: CodeEntry[] = [];
  const seen = new Set<string>();
  for (const line of splitLines(text)) {
    const m = /^\s*(\d{4}[0-9A-Z])(?:\t|\s)+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const [, code, rest] = m;
    const descriptor = rest.split('\t').filter(Boolean).pop() ?? rest;
    if (seen.has(code)) continue;
    seen.add(code);
    out.push({
      code,
      billable: true,
      display: descriptor,
      shortDisplay: descriptor.slice(0, 28),
      order: out.length,
    });
  }
  return out;
}

export async function loadCptFile(
  path: string,
  version: string,
  effective: EffectivePeriod,
): Promise<CodeSystemVersion> {
  const entries = parseCptFile(await readDataText(path));
  if (entries.length === 0)
    throw new Error(`${path}: no CPT records found (expected lines "NNNNN descriptor")`);
  return new CodeSystemVersion('cpt', version, effective, entries, {
    publisher: 'American Medical Association (licensed file supplied by the user)',
    file: path.split('/').pop() ?? path,
    official: true,
  });
}
