// NCCI edits for HCPCS/CPT lines: procedure-to-procedure pairs (with the modifier indicator), medically unlikely units, add-on codes.
import type { AocEdit, MueTable, PtpEdit } from '../loaders/ncci-edits.js';
import type { EncounterProcedure } from './encounter.js';
import type { EditFinding } from './finding.js';

export interface NcciData {
  ptp: Map<string, PtpEdit[]>; // key "column1|column2"
  ptpSource: string;
  mue: MueTable[];
  aocByAddOn: Map<string, AocEdit[]>;
  aocSource: string;
}

/** Modifiers that may bypass a PTP edit whose modifier indicator is 1 (NCCI Policy Manual, ch. I). */
export const PTP_MODIFIERS = new Set([
  '59',
  'XE',
  'XS',
  'XP',
  'XU',
  '24',
  '25',
  '57',
  '58',
  '78',
  '79',
  '27',
  '91',
  'E1',
  'E2',
  'E3',
  'E4',
  'FA',
  'F1',
  'F2',
  'F3',
  'F4',
  'F5',
  'F6',
  'F7',
  'F8',
  'F9',
  'TA',
  'T1',
  'T2',
  'T3',
  'T4',
  'T5',
  'T6',
  'T7',
  'T8',
  'T9',
  'LT',
  'RT',
  'LC',
  'LD',
  'RC',
  'LM',
  'RI',
]);

export function indexPtp(edits: PtpEdit[]): Map<string, PtpEdit[]> {
  const m = new Map<string, PtpEdit[]>();
  for (const e of edits) {
    const k = `${e.column1}|${e.column2}`;
    m.set(k, [...(m.get(k) ?? []), e]);
  }
  return m;
}

export function ncciFindings(
  lines: EncounterProcedure[],
  date: string,
  service: MueTable['service'],
  data: NcciData,
): EditFinding[] {
  const out: EditFinding[] = [];
  const codes = lines.map((l) => l.code.toUpperCase());
  for (let i = 0; i < lines.length; i++) {
    for (let j = 0; j < lines.length; j++) {
      if (i === j) continue;
      const edits = data.ptp.get(`${codes[i]}|${codes[j]}`) ?? [];
      const active = edits.find((e) => !e.deletionDate || e.deletionDate >= date);
      if (!active || active.modifierIndicator === '9') continue;
      const mods = (lines[j].modifiers ?? []).map((m) => m.toUpperCase());
      const bypass = active.modifierIndicator === '1' && mods.some((m) => PTP_MODIFIERS.has(m));
      out.push({
        severity: bypass ? 'information' : 'error',
        rule: 'ncci.ptp',
        ruleSource: `${data.ptpSource}; modifier indicator ${active.modifierIndicator}${active.rationale ? `; ${active.rationale}` : ''}`,
        message:
          active.modifierIndicator === '0'
            ? `${codes[j]} is a component of ${codes[i]} and is not payable with it; no modifier allows it (modifier indicator 0).`
            : bypass
              ? `${codes[j]} with ${codes[i]} is allowed by modifier ${mods.find((m) => PTP_MODIFIERS.has(m))} (modifier indicator 1): documentation must support a distinct service.`
              : `${codes[j]} is not payable with ${codes[i]} unless an NCCI-associated modifier (e.g. 59, XE, XS, XP, XU) documents a distinct service (modifier indicator 1).`,
        codes: [codes[i], codes[j]],
      });
    }
  }
  const mue = data.mue.find((t) => t.service === service) ?? data.mue[0];
  if (mue) {
    const units = new Map<string, number>();
    lines.forEach((l, i) => {
      units.set(codes[i], (units.get(codes[i]) ?? 0) + (l.units ?? 1));
    });
    lines.forEach((l, i) => {
      const edit = mue.edits.get(codes[i]);
      if (!edit) return;
      const n = edit.mai === 1 ? (l.units ?? 1) : (units.get(codes[i]) ?? 0);
      if (
        n <= edit.maxUnits ||
        (edit.mai !== 1 && lines.findIndex((x) => x.code.toUpperCase() === codes[i]) !== i)
      )
        return;
      out.push({
        severity: 'error',
        rule: 'ncci.mue',
        ruleSource: `NCCI MUE ${mue.service} effective ${mue.effective} (${mue.source}); MAI ${edit.mai}${edit.rationale ? `; ${edit.rationale}` : ''}`,
        message: `${codes[i]}: ${n} units exceed the medically unlikely edit of ${edit.maxUnits} per ${edit.mai === 1 ? 'claim line' : 'date of service'}.`,
        codes: [codes[i]],
      });
    });
  }
  for (const code of new Set(codes)) {
    const aoc = (data.aocByAddOn.get(code) ?? []).filter(
      (e) => (!e.effective || e.effective <= date) && (!e.end || e.end >= date),
    );
    if (aoc.length === 0) continue;
    const listed = aoc.filter((e) => e.primary !== 'CCCCC').map((e) => e.primary);
    if (listed.length === 0 || codes.some((c) => listed.includes(c))) continue;
    const type1 = aoc.some((e) => e.type === '1');
    out.push({
      severity: type1 ? 'warning' : 'information',
      rule: 'ncci.add-on-code',
      ruleSource: `${data.aocSource}; AOC edit type ${aoc[0].type}`,
      message: type1
        ? `${code} is an add-on code and none of its primary procedures is on the claim.`
        : `${code} is an add-on code; its primary procedure is contractor-defined or not among the listed primaries; confirm one is reported.`,
      codes: [code],
      suggestions: listed.slice(0, 10),
    });
  }
  return out;
}
