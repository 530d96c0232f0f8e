// Loader for the CDC Present-on-Admission exempt list (tab-separated: order, code with dot, description).
import { canonicalCode } from '../systems.js';
import { readDataText, splitLines } from './read-data-file.js';

export async function loadPoaExempt(path: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const line of splitLines(await readDataText(path, 'latin1')).slice(1)) {
    const code = line.split('\t')[1];
    if (code && /^[A-Z](?:\d[0-9A-Z]|[A-Z]\d)/.test(code.trim())) out.add(canonicalCode('icd10cm', code));
  }
  return out;
}
