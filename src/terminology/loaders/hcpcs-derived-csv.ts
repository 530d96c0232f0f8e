// Loader for the July 2024 HCPCS Level II tables (derived CSVs of CMS HCPC2024_JUL_ANWEB: descriptions + attributes).
import { type CodeEntry, CodeSystemVersion } from '../code-system.js';
import type { EffectivePeriod } from '../fiscal-year.js';
import { parseCsvRecords } from './csv.js';
import { readDataText } from './read-data-file.js';

export async function loadHcpcsDerived(
  descriptionsPath: string,
  attributesPath: string,
  version: string,
  effective: EffectivePeriod,
): Promise<CodeSystemVersion> {
  const desc = parseCsvRecords(await readDataText(descriptionsPath), [
    'hcpcs_code',
    'hcpcs_desc_type',
    'hcpcs_description',
  ]);
  const attrs = parseCsvRecords(await readDataText(attributesPath), [
    'hcpcs_code',
    'date_added',
    'date_term',
  ]);
  const byCode = new Map<string, CodeEntry>();
  for (const r of desc) {
    const code = r.hcpcs_code.trim();
    let e = byCode.get(code);
    if (!e) {
      e = { code, billable: true, display: '', shortDisplay: '', order: 0 };
      byCode.set(code, e);
    }
    if (r.hcpcs_desc_type === 'Long') e.display = r.hcpcs_description.trim();
    else e.shortDisplay = r.hcpcs_description.trim();
  }
  for (const a of attrs) {
    const e = byCode.get(a.hcpcs_code.trim());
    if (!e) continue;
    if (a.date_added) e.added = a.date_added;
    if (a.date_term) e.terminated = a.date_term;
  }
  const entries = [...byCode.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
  entries.forEach((e, i) => {
    e.order = i;
    if (!e.display) e.display = e.shortDisplay;
  });
  return new CodeSystemVersion('hcpcs', version, effective, entries, {
    publisher: 'CMS (derived CSV by andrewallenbruce/northstar)',
    file: descriptionsPath.split('/').pop() ?? descriptionsPath,
    official: false,
    note: 'Derived table of HCPC2024_JUL_ANWEB; repeated fields may be reduced to one.',
  });
}
