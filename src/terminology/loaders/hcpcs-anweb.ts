// Loader for the official CMS HCPCS "ANWEB" alpha-numeric file (fixed-width 320-character records, Windows-1252).
import { type CodeEntry, CodeSystemVersion } from '../code-system.js';
import type { EffectivePeriod } from '../fiscal-year.js';
import { readDataText, splitLines } from './read-data-file.js';

export interface HcpcsModifier {
  code: string;
  display: string;
  shortDisplay: string;
}

export interface AnwebFile {
  codes: CodeEntry[];
  modifiers: HcpcsModifier[];
}

function isoDate(ccyymmdd: string): string | undefined {
  return /^\d{8}$/.test(ccyymmdd)
    ? `${ccyymmdd.slice(0, 4)}-${ccyymmdd.slice(4, 6)}-${ccyymmdd.slice(6, 8)}`
    : undefined;
}

/**
 * cols 1-5 code, 11 record id (3 procedure, 4 its continuation, 7 modifier, 8 its continuation),
 * 12-91 long description, 92-119 short, 269-276 added, 285-292 terminated. The disclaimer lines
 * before the first record are skipped.
 */
export function parseAnweb(text: string): AnwebFile {
  const codes: CodeEntry[] = [];
  const modifiers: HcpcsModifier[] = [];
  let current: CodeEntry | HcpcsModifier | undefined;
  for (const line of splitLines(text)) {
    if (
      line.length < 12 ||
      !/^[ A-Z0-9]{5}\d{5}[3478]$/.test(line.slice(0, 11)) ||
      line.slice(0, 5).trim() === ''
    )
      continue;
    const kind = line[10];
    const long = line.slice(11, 91).trim();
    if (kind === '4' || kind === '8') {
      if (current) current.display = `${current.display} ${long}`.trim();
      continue;
    }
    const code = line.slice(0, 5).trim();
    if (kind === '7') {
      current = { code, display: long, shortDisplay: line.slice(91, 119).trim() };
      modifiers.push(current);
      continue;
    }
    const e: CodeEntry = {
      code,
      billable: true,
      display: long,
      shortDisplay: line.slice(91, 119).trim(),
      order: codes.length,
    };
    const added = isoDate(line.slice(268, 276));
    const term = isoDate(line.slice(284, 292));
    if (added) e.added = added;
    if (term) e.terminated = term;
    codes.push(e);
    current = e;
  }
  return { codes, modifiers };
}

export async function loadAnweb(
  path: string,
  version: string,
  effective: EffectivePeriod,
): Promise<{ version: CodeSystemVersion; modifiers: HcpcsModifier[] }> {
  const parsed = parseAnweb(await readDataText(path, 'latin1'));
  const file = path.split('/').pop() ?? path;
  return {
    version: new CodeSystemVersion('hcpcs', version, effective, parsed.codes, {
      publisher: 'CMS',
      file,
      official: true,
    }),
    modifiers: parsed.modifiers,
  };
}
