// Loaders for NCCI edits: medically unlikely edits (MUE), add-on code (AOC) edits and procedure-to-procedure (PTP) pairs.
import { parseCsvRecords } from './csv.js';
import { readDataText } from './read-data-file.js';

export type MueAdjudication = 1 | 2 | 3; // 1 claim line, 2 date of service (policy), 3 date of service (clinical)

export interface MueEdit {
  code: string;
  maxUnits: number;
  mai: MueAdjudication;
  rationale: string;
}

export interface MueTable {
  service: 'practitioner' | 'outpatient-hospital' | 'dme';
  effective: string;
  source: string;
  edits: Map<string, MueEdit>;
}

export interface PtpEdit {
  column1: string;
  column2: string;
  deletionDate?: string; // absent = active
  modifierIndicator: '0' | '1' | '9';
  rationale: string;
}

export interface AocEdit {
  addOn: string;
  primary: string; // "CCCCC" = contractor-defined primaries
  type: '1' | '2' | '3';
  effective?: string;
  end?: string;
}

interface MueJsonRecord {
  code: string;
  mue_value: number;
  description: string;
  source_file?: string;
}

/** PO's JSON of MCR_MUE_PractitionerServices: description = "MAI text|rationale". */
export async function loadMueJson(
  path: string,
  service: MueTable['service'],
  effective: string,
): Promise<MueTable> {
  const recs = JSON.parse(await readDataText(path)) as MueJsonRecord[];
  const edits = new Map<string, MueEdit>();
  for (const r of recs) {
    const [maiText = '', rationale = ''] = r.description.split('|');
    const mai = Number(maiText.trim()[0]);
    edits.set(r.code, {
      code: r.code,
      maxUnits: r.mue_value,
      mai: (mai === 1 || mai === 2 || mai === 3 ? mai : 1) as MueAdjudication,
      rationale,
    });
  }
  return { service, effective, source: recs[0]?.source_file ?? path.split('/').pop() ?? path, edits };
}

export async function loadMueCsv(
  path: string,
  service: MueTable['service'],
  effective: string,
): Promise<MueTable> {
  const recs = parseCsvRecords(await readDataText(path), ['hcpcs_code', 'mue_units', 'mue_mai']);
  const edits = new Map<string, MueEdit>();
  for (const r of recs) {
    const mai = Number(r.mue_mai);
    edits.set(r.hcpcs_code, {
      code: r.hcpcs_code,
      maxUnits: Number(r.mue_units),
      mai: (mai === 1 || mai === 2 || mai === 3 ? mai : 1) as MueAdjudication,
      rationale: r.mue_rationale ?? '',
    });
  }
  return { service, effective, source: path.split('/').pop() ?? path, edits };
}

export async function loadPtpCsv(path: string): Promise<PtpEdit[]> {
  const recs = parseCsvRecords(await readDataText(path), [
    'column1',
    'column2',
    'deletion_date',
    'modifier_indicator',
  ]);
  return recs.map((r) => {
    const e: PtpEdit = {
      column1: r.column1,
      column2: r.column2,
      modifierIndicator: (['0', '1', '9'].includes(r.modifier_indicator)
        ? r.modifier_indicator
        : '9') as PtpEdit['modifierIndicator'],
      rationale: r.rationale ?? '',
    };
    if (r.deletion_date && r.deletion_date !== '9999-12-31') e.deletionDate = r.deletion_date;
    return e;
  });
}

/**
 * Official CMS PTP text file (tab-separated, after a header block): column 1, column 2, "*" if existing prior
 * to 1996, effective date, deletion date (or "*"), modifier indicator, rationale. Dates CCYYMMDD.
 */
export function parsePtpOfficialText(text: string): PtpEdit[] {
  const out: PtpEdit[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.split('\t');
    if (f.length < 6 || !/^[0-9A-Z]{5}$/.test(f[0]) || !/^[0-9A-Z]{5}$/.test(f[1])) continue;
    const del = f[4].trim();
    const mi = f[5].trim();
    const e: PtpEdit = {
      column1: f[0],
      column2: f[1],
      modifierIndicator: (mi === '0' || mi === '1' || mi === '9' ? mi : '9') as PtpEdit['modifierIndicator'],
      rationale: (f[6] ?? '').trim(),
    };
    if (/^\d{8}$/.test(del)) e.deletionDate = `${del.slice(0, 4)}-${del.slice(4, 6)}-${del.slice(6, 8)}`;
    out.push(e);
  }
  return out;
}

export async function loadPtpOfficialText(path: string): Promise<PtpEdit[]> {
  return parsePtpOfficialText(await readDataText(path, 'latin1'));
}

interface AocJsonRecord {
  code1: string;
  code2: string;
  modifier: string;
  effective_date?: string;
  end_date?: string;
}

export async function loadAocJson(path: string): Promise<AocEdit[]> {
  const recs = JSON.parse(await readDataText(path)) as AocJsonRecord[];
  return recs.map((r) => {
    const e: AocEdit = {
      addOn: r.code1,
      primary: r.code2,
      type: (['1', '2', '3'].includes(r.modifier) ? r.modifier : '1') as AocEdit['type'],
    };
    if (r.effective_date) e.effective = r.effective_date;
    if (r.end_date) e.end = r.end_date;
    return e;
  });
}
